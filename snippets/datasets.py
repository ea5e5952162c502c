"""Page « Les données dans le run » : les deux parties du découpage enregistrées comme
jeux de données (datasets) du run, relues, puis comparées par leur empreinte (digest).

En ligne de commande : python -m snippets.datasets
"""

# --8<-- [start:imports]
import json

import mlflow

# --8<-- [end:imports]
from snippets.data import load_data
from snippets.first_run import build_model, setup_tracking
from snippets.metrics import log_evaluation

# --8<-- [start:log_datasets]
DATASETS_EXPERIMENT = "donnees-cancer-du-sein"


def to_datasets(X_train, X_test, y_train, y_test):
    """Les deux parties du découpage, cible comprise, en jeux de données MLflow."""
    train = mlflow.data.from_pandas(
        X_train.assign(target=y_train), targets="target", name="tumeurs-entrainement"
    )
    test = mlflow.data.from_pandas(
        X_test.assign(target=y_test), targets="target", name="tumeurs-test"
    )
    return train, test


def log_datasets(X_train, X_test, y_train, y_test):
    """Enregistre dans le run actif les deux jeux, chacun avec son contexte."""
    train, test = to_datasets(X_train, X_test, y_train, y_test)
    mlflow.log_input(train, context="training")
    mlflow.log_input(test, context="test")
    return train, test


# --8<-- [end:log_datasets]


# --8<-- [start:train]
def train_with_datasets(run_name, data):
    """Un run du SVM du cours : ses données, ses paramètres et ses sept métriques."""
    X_train, X_test, y_train, y_test = data
    params = {"C": 1.0, "gamma": "scale", "kernel": "rbf"}
    with mlflow.start_run(run_name=run_name) as run:
        log_datasets(X_train, X_test, y_train, y_test)
        mlflow.log_params(params)
        model = build_model(**params).fit(X_train, y_train)
        log_evaluation(model, X_test, y_test)
    return run.info.run_id


# --8<-- [end:train]


# --8<-- [start:read_back]
def datasets_of(run_id):
    """{contexte: jeu de données} des entrées d'un run, relues depuis le magasin."""
    inputs = mlflow.get_run(run_id).inputs.dataset_inputs
    by_context = {}
    for dataset_input in inputs:
        tags = {tag.key: tag.value for tag in dataset_input.tags}
        by_context[tags["mlflow.data.context"]] = dataset_input.dataset
    return by_context


# --8<-- [end:read_back]


def main():
    # --8<-- [start:run]
    setup_tracking(experiment_name=DATASETS_EXPERIMENT)
    data = load_data()
    run_id = train_with_datasets("svm-et-donnees", data)
    # --8<-- [end:run]

    # --8<-- [start:show]
    datasets = datasets_of(run_id)
    for context in ["training", "test"]:
        dataset = datasets[context]
        rows = json.loads(dataset.profile)["num_rows"]
        columns = json.loads(dataset.schema)["mlflow_colspec"]
        print(f"{context:<9} {dataset.name:<21} empreinte {dataset.digest}")
        print(
            f"{'':<9} {rows} lignes, {len(columns)} colonnes dont la cible « target »"
        )
    # --8<-- [end:show]

    # --8<-- [start:digest]
    second_id = train_with_datasets("svm-memes-donnees", data)
    first = datasets_of(run_id)["training"].digest
    second = datasets_of(second_id)["training"].digest
    print(f"Mêmes données, deux runs : {first} et {second}")

    other_train, _ = to_datasets(*load_data(random_state=7))  # sans run
    print(f"Autre découpage (random_state=7) : {other_train.digest}")
    # --8<-- [end:digest]

    # --8<-- [start:search]
    same_data = mlflow.search_runs(filter_string=f"datasets.digest = '{first}'")
    print("Runs entraînés sur ces données :", sorted(same_data["tags.mlflow.runName"]))
    # --8<-- [end:search]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
