"""Page « Premier run » : l'URI de suivi, l'expérience, puis un premier run
avec trois paramètres et une métrique.

En ligne de commande : python -m snippets.first_run
"""

# --8<-- [start:imports]
import mlflow
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

# --8<-- [end:imports]
from snippets.data import load_data

# --8<-- [start:tracking]
TRACKING_URI = "sqlite:///mlflow.db"  # une base SQLite, dans le dossier courant
EXPERIMENT_NAME = "svm-cancer-du-sein"


def setup_tracking(tracking_uri=None, experiment_name=None):
    """Choisit le magasin de suivi, puis l'expérience des runs (créée au besoin)."""
    mlflow.set_tracking_uri(tracking_uri or TRACKING_URI)
    return mlflow.set_experiment(experiment_name or EXPERIMENT_NAME)


# --8<-- [end:tracking]


# --8<-- [start:model]
def build_model(C=1.0, gamma="scale", kernel="rbf"):
    """Un SVM précédé d'une standardisation, car le SVM est sensible à l'échelle."""
    return make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma, kernel=kernel))


# --8<-- [end:model]


def main():
    # --8<-- [start:setup]
    experiment = setup_tracking()
    print(f"Expérience « {experiment.name} » (id {experiment.experiment_id})")
    print(f"URI de suivi : {mlflow.get_tracking_uri()}")
    # --8<-- [end:setup]

    # --8<-- [start:run]
    X_train, X_test, y_train, y_test = load_data()
    params = {"C": 1.0, "gamma": "scale", "kernel": "rbf"}

    with mlflow.start_run(run_name="premier-run") as run:  # (1)!
        mlflow.set_tag("model_family", "svm")  # (2)!
        mlflow.log_params(params)  # (3)!
        model = build_model(**params).fit(X_train, y_train)
        accuracy = accuracy_score(y_test, model.predict(X_test))
        mlflow.log_metric("accuracy", accuracy)  # (4)!

    print(f"Run {run.info.run_id} terminé : exactitude = {accuracy:.3f}")
    # --8<-- [end:run]

    # --8<-- [start:read_back]
    finished = mlflow.get_run(run.info.run_id)  # relu depuis le magasin de suivi
    print("Statut :", finished.info.status)
    print("Paramètres :", finished.data.params)
    print("Métriques :", finished.data.metrics)
    tags = finished.data.tags  # les vôtres, et ceux que MLflow ajoute (mlflow.*)
    print("Vos tags :", {k: v for k, v in tags.items() if not k.startswith("mlflow.")})
    print("Nom du run (tag mlflow.runName) :", tags["mlflow.runName"])
    # --8<-- [end:read_back]


if __name__ == "__main__":
    from snippets.cli import run_command

    # Le module importé, et non cette copie exécutée sous le nom __main__ : c'est lui
    # que les commandes font suivre à MLFLOW_TRACKING_URI et MLFLOW_EXPERIMENT_NAME.
    from snippets.first_run import main

    run_command(main)
