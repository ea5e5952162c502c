"""Page « Régler sans tricher » : une étude Optuna sur C et gamma, jugée par validation
croisée sur la seule partie d'entraînement ; un run parent pour l'étude, un run enfant
par essai ; le jeu de test sert une fois, à la fin, au meilleur réglage réentraîné.

En ligne de commande : python -m snippets.tuning
"""

# --8<-- [start:imports]
import mlflow
import optuna
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score

# --8<-- [end:imports]
from snippets.data import load_data
from snippets.datasets import log_datasets
from snippets.first_run import build_model, setup_tracking
from snippets.metrics import classification_metrics, log_evaluation
from snippets.sweep import C_VALUES, GAMMA_VALUES, REQUIREMENTS, select_best_run

# --8<-- [start:objective]
# Les mêmes plis à chaque essai : les notes des essais se comparent.
CV = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)


def suggest_params(trial):
    """Les réglages qu'Optuna propose, sur une échelle logarithmique."""
    return {
        "C": trial.suggest_float("C", 1e-2, 1e3, log=True),
        "gamma": trial.suggest_float("gamma", 1e-4, 1e0, log=True),
    }


def cv_score(params, X_train, y_train):
    """L'exactitude équilibrée moyenne des cinq plis, sur l'entraînement seulement."""
    scores = cross_val_score(
        build_model(**params), X_train, y_train, cv=CV, scoring="balanced_accuracy"
    )
    return scores.mean()


def make_objective(X_train, y_train):
    """L'objectif d'Optuna : un essai = un réglage, noté par validation croisée."""

    def objective(trial):
        return cv_score(suggest_params(trial), X_train, y_train)

    return objective


# --8<-- [end:objective]

# --8<-- [start:study]
TUNING_EXPERIMENT = "reglage-svm"
N_TRIALS = 50
SEED = 42  # la graine de l'échantillonneur : les mêmes essais à chaque exécution
STUDY_TAG = {"tuning": "optuna"}  # distingue les runs parents des études

# Optuna écrit une ligne par essai ; les runs enfants gardent déjà tout cela.
optuna.logging.set_verbosity(optuna.logging.WARNING)


def with_child_run(objective):
    """Enveloppe un objectif : chaque essai devient un run enfant du run actif."""

    def logged_objective(trial):
        with mlflow.start_run(run_name=f"essai-{trial.number:02d}", nested=True):
            score = objective(trial)
            mlflow.log_params(trial.params)  # C et gamma, tels que l'essai les a tirés
            mlflow.log_metric("cv_balanced_accuracy", score)
        return score

    return logged_objective


def run_study(X_train, y_train, n_trials=N_TRIALS):
    """L'étude dans un run parent ; renvoie l'étude et l'identifiant de ce run."""
    sampler = optuna.samplers.TPESampler(seed=SEED)
    study = optuna.create_study(direction="maximize", sampler=sampler)  # en mémoire
    with mlflow.start_run(run_name="etude-optuna") as parent:
        mlflow.set_tags(STUDY_TAG)
        objective = with_child_run(make_objective(X_train, y_train))
        study.optimize(objective, n_trials=n_trials)
        # Le run parent résume l'étude : le meilleur réglage et son score.
        mlflow.log_params({**study.best_params, "n_trials": len(study.trials)})
        mlflow.log_metric("cv_balanced_accuracy", study.best_value)
        mlflow.set_tag("best_trial", f"essai-{study.best_trial.number:02d}")
    return study, parent.info.run_id


# --8<-- [end:study]


# --8<-- [start:final]
def final_model(params):
    """Le pipeline du cours avec le réglage params, et les probabilités en plus."""
    model = build_model(**params)
    # predict_proba servira aux courbes ROC ; predict, lui, n'en dépend pas.
    return model.set_params(svc__probability=True, svc__random_state=42)


def train_final(params, run_id, data):
    """Réentraîne le réglage sur tout l'entraînement, le mesure une seule fois sur le
    test et enregistre données, métriques et modèle dans le run run_id (rouvert).

    Renvoie (run_id, model_info), comme train_and_log.
    """
    X_train, X_test, y_train, y_test = data
    with mlflow.start_run(run_id=run_id):  # rouvre le run parent de l'étude
        log_datasets(X_train, X_test, y_train, y_test)
        model = final_model(params).fit(X_train, y_train)
        log_evaluation(model, X_test, y_test)  # le seul passage par le jeu de test
        model_info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=X_train.head(5),
            pip_requirements=REQUIREMENTS,
        )
    return run_id, model_info


# --8<-- [end:final]


# --8<-- [start:grid]
def grid_row(C, gamma, data):
    """Un réglage du balayage noté deux fois : sur le test, comme le faisait le
    balayage, et par validation croisée sur l'entraînement, comme l'étude."""
    X_train, X_test, y_train, y_test = data
    model = build_model(C=C, gamma=gamma).fit(X_train, y_train)
    test = classification_metrics(y_test, model.predict(X_test))
    return {  # les colonnes de search_runs, pour que select_best_run s'applique
        "params.C": str(C),
        "params.gamma": str(gamma),
        "metrics.sensitivity": test["sensitivity"],
        "metrics.specificity": test["specificity"],
        "test": (test["sensitivity"] + test["specificity"]) / 2,
        "cv": cv_score({"C": C, "gamma": gamma}, X_train, y_train),
    }


def grid_scores(data, c_values=C_VALUES, gamma_values=GAMMA_VALUES):
    """Les 20 réglages du balayage, sans aucun run : une ligne par couple (C, gamma)."""
    rows = [grid_row(C, gamma, data) for C in c_values for gamma in gamma_values]
    return pd.DataFrame(rows)


# --8<-- [end:grid]


def main():
    # --8<-- [start:run]
    setup_tracking(experiment_name=TUNING_EXPERIMENT)
    data = load_data()
    X_train, X_test, y_train, y_test = data
    study, parent_run_id = run_study(X_train, y_train)

    parent = mlflow.get_run(parent_run_id)  # relu depuis le magasin de suivi
    print(f"Run parent {parent_run_id} ({parent.data.tags['best_trial']} en tête)")
    print("Paramètres :", parent.data.params)
    score = parent.data.metrics["cv_balanced_accuracy"]
    print(f"Exactitude équilibrée en validation croisée : {score:.4f}")
    # --8<-- [end:run]

    # --8<-- [start:children]
    children = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
        order_by=["metrics.cv_balanced_accuracy DESC", "attributes.run_name ASC"],
    )
    columns = ["tags.mlflow.runName", "params.C", "params.gamma"]
    table = children[columns + ["metrics.cv_balanced_accuracy"]].head(5)
    table = table.rename(columns=lambda name: name.split(".")[-1])
    table = table.astype({"C": float, "gamma": float})
    print(f"{len(children)} runs enfants ; les cinq meilleurs :")
    print(table.to_string(index=False, float_format="{:.4g}".format))
    # --8<-- [end:children]

    # --8<-- [start:final_run]
    run_id, model_info = train_final(study.best_params, parent_run_id, data)
    print(f"Modèle final : {model_info.model_uri}")
    metrics = mlflow.get_run(run_id).data.metrics
    for name in sorted(metrics):
        print(f"  {name:<20} {metrics[name]:.4f}")
    # --8<-- [end:final_run]

    # --8<-- [start:compare]
    grid = grid_scores(data)
    grid_best = select_best_run(grid)  # le choix du balayage, fait sur le test
    comparison = pd.DataFrame(
        {
            "C": [float(grid_best["params.C"]), study.best_params["C"]],
            "gamma": [float(grid_best["params.gamma"]), study.best_params["gamma"]],
            "validation croisée": [grid_best["cv"], study.best_value],
            "test": [
                grid_best["test"],
                (metrics["sensitivity"] + metrics["specificity"]) / 2,
            ],
        },
        index=["balayage, choix sur le test", "étude, choix par validation croisée"],
    )
    print("Exactitude équilibrée des deux réglages retenus :")
    four_decimals = "{:.4f}".format
    formatters = {"validation croisée": four_decimals, "test": four_decimals}
    print(comparison.to_string(float_format="{:.4g}".format, formatters=formatters))
    rank = int((grid["cv"] > grid_best["cv"]).sum()) + 1
    print(f"Rang du choix du balayage en validation croisée : {rank} sur {len(grid)}")
    # --8<-- [end:compare]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
