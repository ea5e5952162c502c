"""Page « Autologging » : mlflow.sklearn.autolog() sur le SVM, puis sur une recherche
par grille avec validation croisée (un run parent, des runs enfants).

En ligne de commande : python -m snippets.autolog
"""

# --8<-- [start:imports]
import mlflow
from sklearn.metrics import make_scorer, recall_score
from sklearn.model_selection import GridSearchCV

# --8<-- [end:imports]
from snippets.data import MALIGNANT, load_data
from snippets.first_run import build_model, setup_tracking

# --8<-- [start:settings]
AUTOLOG_EXPERIMENT = "autologging-cancer-du-sein"
PARAM_GRID = {"svc__C": [0.1, 1.0, 10.0, 100.0], "svc__gamma": [0.001, 0.01, 0.1, 1.0]}
# --8<-- [end:settings]


def main():
    # --8<-- [start:enable]
    setup_tracking(experiment_name=AUTOLOG_EXPERIMENT)
    mlflow.sklearn.autolog(
        pos_label=MALIGNANT,  # la classe positive du cours, pour précision et rappel
        serialization_format="skops",  # le format sûr ; autolog prend cloudpickle sinon
        max_tuning_runs=5,  # les 5 meilleurs réglages de la grille en runs enfants
    )
    # --8<-- [end:enable]

    # --8<-- [start:svm]
    X_train, X_test, y_train, y_test = load_data()
    with mlflow.start_run(run_name="svm-autolog") as run:
        model = build_model(C=1.0, gamma="scale").fit(X_train, y_train)
        model.score(X_test, y_test)  # enregistrée aussi : Pipeline_score_X_test

    recorded = mlflow.get_run(run.info.run_id)
    print(
        f"{len(recorded.data.params)} paramètres, par exemple svc__C =",
        recorded.data.params["svc__C"],
    )
    for name, value in sorted(recorded.data.metrics.items()):
        print(f"{name:<26} {value:.3f}")
    artifacts = mlflow.artifacts.list_artifacts(run_id=run.info.run_id)
    print("Artefacts :", [artifact.path for artifact in artifacts])
    # --8<-- [end:svm]

    # --8<-- [start:grid]
    # skops refuse la fonction de score de la grille, et autolog n'a pas d'option pour
    # la déclarer sûre : pas de modèle pour la recherche, ses runs suffisent à comparer.
    mlflow.sklearn.autolog(pos_label=MALIGNANT, log_models=False, max_tuning_runs=5)
    sensitivity = make_scorer(recall_score, pos_label=MALIGNANT)
    search = GridSearchCV(build_model(), PARAM_GRID, scoring=sensitivity, cv=5)
    with mlflow.start_run(run_name="grille-autolog") as parent:
        search.fit(X_train, y_train)  # 16 réglages × 5 plis, sur l'entraînement seul

    children = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    print(f"{len(children)} runs enfants sous le run parent {parent.info.run_id}")
    columns = ["params.svc__C", "params.svc__gamma"]
    columns += ["metrics.rank_test_score", "metrics.mean_test_score"]
    # Les paramètres sont du texte : en nombres, pour trier les ex æquo par C puis
    # gamma, l'ordre de la grille.
    table = children[columns].astype(float).rename(columns=lambda c: c.split(".", 1)[1])
    table = table.sort_values(["rank_test_score", "svc__C", "svc__gamma"])
    table = table.astype({"rank_test_score": int})
    print(table.round(3).to_string(index=False))
    best = f"{search.best_params_}, best_index_ = {search.best_index_}"
    print("Meilleur réglage :", best)
    # --8<-- [end:grid]

    # --8<-- [start:disable]
    mlflow.sklearn.autolog(disable=True)  # la suite du cours journalise à la main
    # --8<-- [end:disable]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
