"""Page « Venir de MLflow 2 » : le code des tutoriels écrits pour MLflow 2 (ou
avant) face à MLflow 3, et ce qui le remplace. Les fonctions old_* gardent l'ancien
code, que la page montre avec le vrai message de MLflow : rien ne les appelle ici.
main() exécute les remplacements.

En ligne de commande : python -m snippets.migration
"""

# --8<-- [start:imports]
from importlib.metadata import version

import mlflow
from mlflow import MlflowClient
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, mean_squared_error, root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

EXPERIMENT = "venir-de-mlflow-2"
REGISTERED_MODEL = "svm-cancer-du-sein"  # le nom du modèle dans le registre
MALIGNANT = 0  # la classe positive du cours : tumeur maligne
# Les dépendances du modèle, déclarées : MLflow n'a pas à les déduire (des secondes).
REQUIREMENTS = [
    f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "skops")
]
# --8<-- [end:imports]


# L'ancien code, motif par motif. Chaque fonction reçoit ce que le bloc « Le point de
# départ » de la page définit ; aucune n'est appelée par le cours.


def old_file_store():
    # --8<-- [start:old_file_store]
    mlflow.set_tracking_uri("file:./mlruns")  # le magasin en fichiers de MLflow 2
    mlflow.set_experiment(EXPERIMENT)
    # --8<-- [end:old_file_store]


def old_list_experiments():
    # --8<-- [start:old_list_experiments]
    client = MlflowClient()
    for experiment in client.list_experiments():
        print(experiment.experiment_id, experiment.name)
    # --8<-- [end:old_list_experiments]


def old_nested():
    # --8<-- [start:old_nested]
    with mlflow.start_run(run_name="recherche"):
        for C in [0.1, 1.0, 10.0]:
            with mlflow.start_run(run_name=f"C={C}"):
                mlflow.log_param("C", C)
    # --8<-- [end:old_nested]


def old_artifact_path(model):
    # --8<-- [start:old_artifact_path]
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, "model")  # le 2e argument est artifact_path
    # --8<-- [end:old_artifact_path]


def old_no_name(model):
    # --8<-- [start:old_no_name]
    with mlflow.start_run() as unnamed_run:
        mlflow.sklearn.log_model(model, pip_requirements=REQUIREMENTS)  # sans name
    run_id = unnamed_run.info.run_id
    loaded = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    # --8<-- [end:old_no_name]
    return loaded


def old_runs_uri(run):
    # --8<-- [start:old_runs_uri]
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    # --8<-- [end:old_runs_uri]
    return loaded


def old_artifact_uri(model):
    # --8<-- [start:old_artifact_uri]
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", pip_requirements=REQUIREMENTS)
        model_uri = mlflow.get_artifact_uri("model")  # un dossier d'artefacts du run
    loaded = mlflow.sklearn.load_model(model_uri)
    # --8<-- [end:old_artifact_uri]
    return loaded


def old_autolog(X_train, y_train):
    # --8<-- [start:old_autolog]
    mlflow.sklearn.autolog()
    with mlflow.start_run():
        make_pipeline(StandardScaler(), SVC()).fit(X_train, y_train)
    # --8<-- [end:old_autolog]


def old_squared(model, X_test, y_test):
    # --8<-- [start:old_squared]
    rmse = mean_squared_error(y_test, model.predict(X_test), squared=False)
    # --8<-- [end:old_squared]
    return rmse


def old_evaluate(model_info, X_test, y_test):
    # --8<-- [start:old_evaluate]
    eval_data = X_test.assign(target=y_test)
    with mlflow.start_run():
        result = mlflow.evaluate(
            model_info.model_uri, eval_data, targets="target", model_type="classifier"
        )
    # --8<-- [end:old_evaluate]
    return result


def old_stages(model_info):
    # --8<-- [start:old_stages]
    client = MlflowClient()
    registered = mlflow.register_model(model_info.model_uri, REGISTERED_MODEL)
    client.transition_model_version_stage(
        REGISTERED_MODEL, registered.version, stage="Production"
    )
    production = mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL}/Production")
    # --8<-- [end:old_stages]
    return production


def old_latest_versions():
    # --8<-- [start:old_latest_versions]
    client = MlflowClient()
    latest = client.get_latest_versions(REGISTERED_MODEL)[0]
    print("Dernière version :", latest.version)
    # --8<-- [end:old_latest_versions]


def main():
    # --8<-- [start:setup]
    # Les 569 tumeurs du cours : cible 0 = maligne, 1 = bénigne.
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=42
    )
    model = make_pipeline(StandardScaler(), SVC()).fit(X_train, y_train)
    # --8<-- [end:setup]

    # --8<-- [start:new_file_store]
    mlflow.set_tracking_uri("sqlite:///mlflow.db")  # une base SQLite, dossier courant
    mlflow.set_experiment(EXPERIMENT)
    print("URI de suivi :", mlflow.get_tracking_uri())
    # --8<-- [end:new_file_store]

    # --8<-- [start:new_list_experiments]
    client = MlflowClient()
    for found in client.search_experiments(order_by=["name"]):
        print("Expérience", found.experiment_id, ":", found.name)
    # --8<-- [end:new_list_experiments]

    # --8<-- [start:new_nested]
    with mlflow.start_run(run_name="recherche") as search_run:
        for C in [0.1, 1.0, 10.0]:
            with mlflow.start_run(run_name=f"C={C}", nested=True):
                mlflow.log_param("C", C)
                candidate = make_pipeline(StandardScaler(), SVC(C=C))
                candidate.fit(X_train, y_train)
                accuracy = accuracy_score(y_test, candidate.predict(X_test))
                mlflow.log_metric("accuracy", accuracy)
    children = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{search_run.info.run_id}'"
    )
    print(len(children), "runs enfants sous le run « recherche »")
    # --8<-- [end:new_nested]

    # --8<-- [start:new_artifact_path]
    with mlflow.start_run(run_name="svm") as run:
        model_info = mlflow.sklearn.log_model(
            model,
            name="model",  # remplace artifact_path
            input_example=X_train.head(5),
            pip_requirements=REQUIREMENTS,
        )
    print(f"Modèle {model_info.model_uri} du run {run.info.run_id}")
    # --8<-- [end:new_artifact_path]

    # --8<-- [start:new_no_name]
    with mlflow.start_run(run_name="svm-nomme") as named_run:
        mlflow.sklearn.log_model(model, name="svm", pip_requirements=REQUIREMENTS)
    # Plus tard, avec le seul identifiant du run : ses modèles, cherchés par leur run.
    run_id = named_run.info.run_id
    [logged] = mlflow.search_logged_models(
        filter_string=f"source_run_id = '{run_id}'", output_format="list"
    )
    loaded = mlflow.pyfunc.load_model(logged.model_uri)
    print(f"Modèle « {logged.name} » du run, rechargé par {logged.model_uri}")
    # --8<-- [end:new_no_name]

    # --8<-- [start:new_runs_uri]
    loaded = mlflow.pyfunc.load_model(model_info.model_uri)  # models:/<model_id>
    same = (loaded.predict(X_test) == model.predict(X_test)).all()
    print("Le modèle rechargé prédit comme le pipeline :", same)
    # --8<-- [end:new_runs_uri]

    # --8<-- [start:new_artifact_uri]
    with mlflow.start_run(run_name="svm-relu"):
        model_info = mlflow.sklearn.log_model(
            model, name="model", pip_requirements=REQUIREMENTS
        )
        model_uri = model_info.model_uri  # l'adresse du Logged Model, pas du run
    loaded_pipeline = mlflow.sklearn.load_model(model_uri)
    print("Pipeline rechargé :", [name for name, _ in loaded_pipeline.steps])
    # --8<-- [end:new_artifact_uri]

    # --8<-- [start:new_autolog]
    mlflow.sklearn.autolog(
        pos_label=MALIGNANT,  # précision et rappel pour la classe maligne
        serialization_format="skops",  # le format sûr, au lieu de cloudpickle
    )
    with mlflow.start_run(run_name="svm-autolog") as autolog_run:
        make_pipeline(StandardScaler(), SVC()).fit(X_train, y_train)
    mlflow.sklearn.autolog(disable=True)  # la suite journalise à la main
    metrics = mlflow.get_run(autolog_run.info.run_id).data.metrics
    recall = metrics["training_recall_score"]
    print(f"Rappel d'entraînement (classe maligne) : {recall:.3f}")
    # --8<-- [end:new_autolog]

    # --8<-- [start:new_squared]
    rmse = root_mean_squared_error(y_test, model.predict(X_test))
    with mlflow.start_run(run_name="rmse"):
        mlflow.log_metric("rmse", rmse)
    print(f"RMSE des prédictions 0 ou 1 : {rmse:.3f}")
    # --8<-- [end:new_squared]

    # --8<-- [start:new_evaluate]
    eval_data = X_test.assign(target=y_test)
    with mlflow.start_run(run_name="evaluation"):
        result = mlflow.models.evaluate(
            model_info.model_uri,
            eval_data,
            targets="target",
            model_type="classifier",
            evaluator_config={
                "pos_label": MALIGNANT,  # sinon, la classe positive serait 1 (bénigne)
                "log_model_explainability": False,  # pas d'explications SHAP
            },
        )
    print(f"Sensibilité (recall_score) : {result.metrics['recall_score']:.3f}")
    # --8<-- [end:new_evaluate]

    # --8<-- [start:new_stages]
    client = MlflowClient()
    registered = mlflow.register_model(model_info.model_uri, REGISTERED_MODEL)
    client.set_registered_model_alias(REGISTERED_MODEL, "champion", registered.version)
    champion = mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL}@champion")
    same = (champion.predict(X_test) == model.predict(X_test)).all()
    print(f"Alias champion : version {registered.version}, mêmes prédictions : {same}")
    # --8<-- [end:new_stages]

    # --8<-- [start:new_latest_versions]
    versions = client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
    latest = max(versions, key=lambda found: int(found.version))
    in_service = client.get_model_version_by_alias(REGISTERED_MODEL, "champion")
    print("Dernière version :", latest.version, "; champion :", in_service.version)
    # --8<-- [end:new_latest_versions]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
