"""« Comparer plusieurs algorithmes »: seven runs in one experiment, each with the metrics of its
family refitted independently here, and a model that loads and predicts like that refit; the
neural network's run also holds its loss, one value per epoch, equal to the refit's loss curve."""

from pathlib import Path

import mlflow
import numpy as np
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


def check_loss_history(client, run, refit):
    """The run's loss history is the refitted network's loss curve: steps 0..n-1, in order."""
    curve = refit.steps[-1][1].loss_curve_
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [metric.step for metric in history] == list(range(len(curve)))
    assert [metric.value for metric in history] == pytest.approx(curve, rel=1e-12)
    assert run.data.metrics["loss"] == pytest.approx(curve[-1], rel=1e-12)  # the last step
    return curve


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
        metrics = dict(run.data.metrics)
        if name == "reseau-de-neurones":
            check_loss_history(client, run, refits[name])
            metrics.pop("loss")
        assert_metrics_equal(metrics, reference_metrics(y_test, refits[name].predict(X_test)))
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


def test_the_network_logs_its_loss_per_epoch_as_a_metric_history(workdir, split, refits):
    algorithms.setup_tracking(experiment_name="historique")
    network = algorithms.model_families()["reseau-de-neurones"]
    run_id = algorithms.train_family("reseau-de-neurones", network, algorithms.load_data())
    client = mlflow.MlflowClient()
    curve = check_loss_history(client, client.get_run(run_id), refits["reseau-de-neurones"])
    # It stopped on its own, before max_iter: the curve is the whole training.
    assert len(curve) < refits["reseau-de-neurones"].steps[-1][1].max_iter


def test_a_random_forest_averages_its_trees_probabilities(split, refits):
    # The page's table: the forest's probability is the mean of its trees', not a vote.
    X_test = split[1].to_numpy()
    forest = refits["foret-aleatoire"]
    mean = np.mean([tree.predict_proba(X_test) for tree in forest.estimators_], axis=0)
    assert np.allclose(forest.predict_proba(X_test), mean)
    assert (forest.predict(X_test) == forest.classes_[mean.argmax(axis=1)]).all()


def test_what_the_page_reads_in_the_comparison(split, refits):
    _, X_test, _, y_test = split
    metrics = {name: reference_metrics(y_test, m.predict(X_test)) for name, m in refits.items()}
    best = max(m["sensitivity"] for m in metrics.values())
    most_sensitive = {name for name, m in metrics.items() if m["sensitivity"] == best}
    assert most_sensitive == {"regression-logistique", "svm-rbf", "reseau-de-neurones"}
    neighbours = metrics["k-plus-proches-voisins"]
    assert neighbours["specificity"] == 1.0 and neighbours["sensitivity"] < best
    assert len(y_test) == 143


def test_the_page_tracks_seven_families_with_their_metrics_and_models(site, split, refits):
    # The build ran the page's blocks in an empty folder (tooling.generate).
    folder = generated_step("algorithms") / "cours-mlflow"
    with tracking_uri(f"sqlite:///{folder / 'mlflow.db'}"):
        check_experiment(store_client(folder), split, refits)
    printed = (generated_step("algorithms") / "algorithms.txt").read_text().splitlines()
    # The loss history read back: its length, steps and first and last values, as refitted here.
    curve = refits["reseau-de-neurones"].steps[-1][1].loss_curve_
    n = len(curve)
    assert printed[0] == f"{n} valeurs de loss, étapes 0 à {n - 1}"
    shown = [0, 1, 2, n - 3, n - 2, n - 1]
    assert printed[1:7] == [f"étape {step:>3}   loss {curve[step]:.4f}" for step in shown]
    # The comparison table, sorted by sensitivity as recomputed here.
    assert printed[7].split() == ["model_family", "sensitivity", "specificity", "accuracy"]
    _, X_test, _, y_test = split
    sensitivities = [
        round(reference_metrics(y_test, refits[line.split()[0]].predict(X_test))["sensitivity"], 3)
        for line in printed[8:]
    ]
    assert len(sensitivities) == 7 and sensitivities == sorted(sensitivities, reverse=True)
