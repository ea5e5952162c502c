"""« Comparer plusieurs algorithmes »: seven runs in one experiment, each with the metrics of its
family refitted independently here, and a model that loads and predicts like that refit."""

from pathlib import Path

import mlflow
import pytest
from helpers import (
    assert_metrics_equal,
    generated_step,
    reference_metrics,
    store_client,
    tracking_uri,
)
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from snippets import algorithms, sweep

# The course's seven families, written out again from the page's table.
REFERENCE = {
    "reseau-de-neurones": lambda: make_pipeline(
        StandardScaler(), MLPClassifier(max_iter=2000, random_state=42)
    ),
    "arbre-de-decision": lambda: DecisionTreeClassifier(random_state=42),
    "bayesien-naif": GaussianNB,
    "k-plus-proches-voisins": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier()),
    "regression-logistique": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    "foret-aleatoire": lambda: RandomForestClassifier(random_state=42),
    "svm-rbf": lambda: make_pipeline(StandardScaler(), SVC()),
}


@pytest.fixture(scope="module")
def refits(split):
    X_train, X_test, y_train, _ = split
    return {name: build().fit(X_train, y_train) for name, build in REFERENCE.items()}


def check_experiment(client, split, refits):
    experiment = client.get_experiment_by_name(algorithms.ALGORITHMS_EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.info.run_name for run in runs) == sorted(REFERENCE)
    assert {run.info.status for run in runs} == {"FINISHED"}
    _, X_test, _, y_test = split
    models = {m.source_run_id: m for m in client.search_logged_models([experiment.experiment_id])}
    for run in runs:
        name = run.info.run_name
        assert run.data.tags["model_family"] == name
        assert_metrics_equal(
            run.data.metrics, reference_metrics(y_test, refits[name].predict(X_test))
        )
        loaded = mlflow.pyfunc.load_model(f"models:/{models[run.info.run_id].model_id}")
        assert (loaded.predict(X_test) == refits[name].predict(X_test)).all(), name
        artifacts = [a.path for a in client.list_artifacts(run.info.run_id)]
        assert "confusion_matrix.png" in artifacts


def test_models_declare_their_requirements_instead_of_inferring_them(workdir):
    setup = algorithms.setup_tracking(experiment_name="exigences")
    data = algorithms.load_data()
    run_id = algorithms.train_family("bayesien-naif", GaussianNB(), data)
    [model] = mlflow.search_logged_models(
        experiment_ids=[setup.experiment_id], output_format="list"
    )
    assert model.source_run_id == run_id
    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{model.model_id}"))
    assert (folder / "requirements.txt").read_text().split() == sweep.REQUIREMENTS


def test_the_page_tracks_seven_families_with_their_metrics_and_models(site, split, refits):
    # The build ran the page's blocks in an empty folder (tooling.generate).
    folder = generated_step("algorithms") / "cours-mlflow"
    with tracking_uri(f"sqlite:///{folder / 'mlflow.db'}"):
        check_experiment(store_client(folder), split, refits)
    # The comparison table, sorted by sensitivity as recomputed here.
    printed = (generated_step("algorithms") / "output_algorithms.txt").read_text().splitlines()
    assert printed[0].split() == ["model_family", "sensitivity", "specificity", "accuracy"]
    _, X_test, _, y_test = split
    sensitivities = [
        round(reference_metrics(y_test, refits[line.split()[0]].predict(X_test))["sensitivity"], 3)
        for line in printed[1:]
    ]
    assert len(sensitivities) == 7 and sensitivities == sorted(sensitivities, reverse=True)
