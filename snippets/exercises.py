"""Page « Exercices » : les solutions, une section chacune.

En ligne de commande : python -m snippets.exercises ; la sixième solution attend un
serveur de suivi sur SERVER_URI (mlflow server --port 5000).
"""

# --8<-- [start:imports]
import matplotlib.pyplot as plt
import mlflow
from sklearn.metrics import RocCurveDisplay, f1_score, roc_auc_score

# --8<-- [end:imports]
# isort: split
# --8<-- [start:further_imports]
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# --8<-- [end:further_imports]
from snippets.data import MALIGNANT, load_data
from snippets.datasets import to_datasets
from snippets.evaluation import (
    DEFAULT_PARAMS,
    evaluate_model,
    log_candidate,
    quality_gate,
)
from snippets.first_run import build_model, setup_tracking
from snippets.metrics import classification_metrics
from snippets.registry import (
    REGISTERED_MODEL,
    alias_uri,
    challenge,
    register,
    show_verdict,
)
from snippets.sweep import REQUIREMENTS
from snippets.train import train_and_log

# --8<-- [start:server_uri]
SERVER_URI = (
    "http://127.0.0.1:5000"  # mlflow server --port 5000, dans un autre terminal
)
# --8<-- [end:server_uri]


def main():
    # --8<-- [start:f1]
    setup_tracking()
    X_train, X_test, y_train, y_test = load_data()
    with mlflow.start_run(run_name="exercice-f1") as run:
        model = build_model().fit(X_train, y_train)
        y_pred = model.predict(X_test)
        mlflow.log_metrics(classification_metrics(y_test, y_pred))
        mlflow.log_metric("f1", f1_score(y_test, y_pred, pos_label=MALIGNANT))
    f1 = mlflow.get_run(run.info.run_id).data.metrics["f1"]
    print(f"F1 (classe maligne) : {f1:.3f}")
    # --8<-- [end:f1]

    # --8<-- [start:roc]
    with mlflow.start_run(run_name="exercice-roc") as run:
        model = build_model().fit(X_train, y_train)
        # decision_function est positive pour la classe 1 (bénigne) : on prend l'opposé,
        # pour qu'un score élevé désigne une tumeur maligne, la classe positive.
        scores = -model.decision_function(X_test)
        display = RocCurveDisplay.from_predictions(y_test, scores, pos_label=MALIGNANT)
        mlflow.log_figure(display.figure_, "roc_curve.png")
        mlflow.log_metric("roc_auc", roc_auc_score(y_test == MALIGNANT, scores))
        plt.close(display.figure_)
    artifacts = mlflow.artifacts.list_artifacts(run_id=run.info.run_id)
    print("Artefacts :", [artifact.path for artifact in artifacts])
    # --8<-- [end:roc]

    # --8<-- [start:kernels]
    for kernel in ["rbf", "linear"]:
        train_and_log(kernel=kernel, tags={"exercice": "noyaux"}, run_name=kernel)
    kernels = mlflow.search_runs(filter_string="tags.exercice = 'noyaux'")
    columns = ["params.kernel", "metrics.sensitivity", "metrics.specificity"]
    print(kernels[columns].round(3).to_string(index=False))
    # --8<-- [end:kernels]

    # --8<-- [start:constrained]
    # La meilleure sensibilité parmi les runs dont la spécificité atteint 0,95.
    candidates = mlflow.search_runs(
        filter_string="metrics.specificity >= 0.95 and attributes.status = 'FINISHED'",
        order_by=["metrics.sensitivity DESC", "metrics.specificity DESC"],
        max_results=1,
    )
    best = candidates.iloc[0]
    name = best["tags.mlflow.runName"]
    print(f"Run {name} : sensibilité {best['metrics.sensitivity']:.3f},", end=" ")
    print(f"spécificité {best['metrics.specificity']:.3f}")
    # --8<-- [end:constrained]

    # --8<-- [start:load_by_id]
    # Le Logged Model le plus récent de l'expérience active, chargé par son identifiant.
    [latest] = mlflow.search_logged_models(
        order_by=[{"field_name": "creation_time", "ascending": False}],
        max_results=1,
        output_format="list",
    )
    loaded = mlflow.pyfunc.load_model(f"models:/{latest.model_id}")
    print(f"Modèle {latest.model_id} :", loaded.predict(X_test.head(5)).tolist())
    print("Pour le servir, dans un terminal ouvert dans ce dossier :")
    print(
        f'mlflow models serve -m "models:/{latest.model_id}" --port 5001',
        "--env-manager local",
    )
    # --8<-- [end:load_by_id]

    # --8<-- [start:server]
    setup_tracking(tracking_uri=SERVER_URI)  # le serveur, au lieu de mlflow.db
    run_id, _ = train_and_log(
        C=1.0, gamma="scale", log_model=False, run_name="sur-serveur"
    )
    print(f"Run {run_id} envoyé à {mlflow.get_tracking_uri()}")
    mlflow.set_tracking_uri(None)  # retour au magasin local pour la suite
    # --8<-- [end:server]

    # --8<-- [start:families]
    setup_tracking(experiment_name="exercice-familles")
    data = load_data()
    X_train, X_test, y_train, y_test = data
    _, test_dataset = to_datasets(*data)
    svm = log_candidate(DEFAULT_PARAMS, X_train, y_train, "svm-du-cours")
    champion = evaluate_model(svm.model_uri, test_dataset, "evaluation-svm-du-cours")
    families = {
        "regression-logistique": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ),
        "plus-proches-voisins": make_pipeline(StandardScaler(), KNeighborsClassifier()),
    }
    candidates = {}
    for name, model in families.items():
        with mlflow.start_run(run_name=name):
            model.fit(X_train, y_train)
            candidates[name] = mlflow.sklearn.log_model(
                model,
                name="model",
                input_example=X_train.head(5),
                pip_requirements=REQUIREMENTS,
            )
        result = evaluate_model(
            candidates[name].model_uri, test_dataset, f"evaluation-{name}"
        )
        verdict = "refusée" if quality_gate(result, champion) else "acceptée"
        print(
            f"{name} : sensibilité {result.metrics['recall_score']:.3f}, "
            f"exactitude {result.metrics['accuracy_score']:.3f}, {verdict}"
        )
    # --8<-- [end:families]

    # --8<-- [start:promotion]
    first = register(svm, "Le SVM des premières pages.")
    show_verdict(first, challenge(first, test_dataset))
    for name in ["plus-proches-voisins", "regression-logistique"]:
        version = register(candidates[name], f"Exercice 8 : {name}.")
        show_verdict(version, challenge(version, test_dataset))
    champion = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL, "champion")
    print(
        f"{alias_uri('champion')} : version {champion.version}, {champion.description}"
    )
    # --8<-- [end:promotion]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
