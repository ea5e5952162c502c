"""« Les données dans le run »: each run holds the course's two splits as datasets (names,
contexts, row counts and schema as scikit-learn's own split gives them), two runs on the same
data share a digest that another split does not, and the runs' metrics are the SVM's, refitted
here. The page's blocks are pasted alone into one fresh session in an empty folder."""

import json

import mlflow
import pytest
from helpers import (
    assert_metrics_equal,
    generated_step,
    pasted_page,
    reference_run_metrics,
    store_client,
)
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from snippets import datasets

NAMES = {"training": "tumeurs-entrainement", "test": "tumeurs-test"}
OTHER_SEED = 7  # the page's other split


def digest(features, target):
    """MLflow's digest of a split part with its target column, computed here."""
    frame = features.assign(target=target)
    return mlflow.data.from_pandas(frame, targets="target").digest


def other_split():
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    return train_test_split(
        features, target, test_size=0.25, stratify=target, random_state=OTHER_SEED
    )


def expected_datasets(split):
    X_train, X_test, y_train, y_test = split
    return {
        "training": (len(X_train), digest(X_train, y_train)),
        "test": (len(X_test), digest(X_test, y_test)),
    }


def recorded_datasets(run):
    """{context: dataset} of a run, read back from the store."""
    found = {}
    for dataset_input in run.inputs.dataset_inputs:
        [tag] = [t for t in dataset_input.tags if t.key == "mlflow.data.context"]
        assert tag.value not in found
        found[tag.value] = dataset_input.dataset
    return found


def check_datasets(run, split):
    found = recorded_datasets(run)
    assert set(found) == {"training", "test"}
    columns = [*load_breast_cancer().feature_names, "target"]
    for context, (rows, expected_digest) in expected_datasets(split).items():
        dataset = found[context]
        assert dataset.name == NAMES[context]
        assert dataset.digest == expected_digest
        assert json.loads(dataset.profile)["num_rows"] == rows
        schema = json.loads(dataset.schema)["mlflow_colspec"]
        assert [column["name"] for column in schema] == columns
    return found


def test_log_datasets_records_both_splits_in_the_active_run(workdir, split):
    datasets.setup_tracking(experiment_name="jeux")
    with mlflow.start_run() as run:
        train, test = datasets.log_datasets(*datasets.load_data())
    recorded = mlflow.get_run(run.info.run_id)
    found = check_datasets(recorded, split)
    assert (train.digest, test.digest) == (found["training"].digest, found["test"].digest)
    assert [len(part) for part in split] == [426, 143, 426, 143]


def test_the_digest_follows_the_data_not_the_name(split):
    X_train, _, y_train, _ = split
    frame = X_train.assign(target=y_train)
    named = [mlflow.data.from_pandas(frame, targets="target", name=n) for n in "ab"]
    assert named[0].digest == named[1].digest == digest(X_train, y_train)
    other = other_split()
    assert digest(other[0], other[2]) != digest(X_train, y_train)


def test_the_page_records_the_data_of_two_runs_on_the_same_split(page, split):
    folder, _ = page
    client = store_client(folder)
    experiment = client.get_experiment_by_name(datasets.DATASETS_EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.info.run_name for run in runs) == ["svm-et-donnees", "svm-memes-donnees"]
    assert {run.info.status for run in runs} == {"FINISHED"}
    digests = [{c: d.digest for c, d in check_datasets(run, split).items()} for run in runs]
    assert digests[0] == digests[1]
    other = other_split()
    assert digest(other[0], other[2]) != digests[0]["training"]
    reference = reference_run_metrics(split, 1.0, "scale")
    for run in runs:
        assert_metrics_equal(run.data.metrics, reference)
        assert run.data.params == {"C": "1.0", "gamma": "scale", "kernel": "rbf"}


def expected_output(split):
    """What the page prints, rebuilt from the digests and row counts computed here."""
    (train_rows, train_digest), (test_rows, test_digest) = expected_datasets(split).values()
    other = other_split()
    return [
        f"training  tumeurs-entrainement  empreinte {train_digest}",
        f"          {train_rows} lignes, 31 colonnes dont la cible « target »",
        f"test      tumeurs-test          empreinte {test_digest}",
        f"          {test_rows} lignes, 31 colonnes dont la cible « target »",
        f"Mêmes données, deux runs : {train_digest} et {train_digest}",
        f"Autre découpage (random_state={OTHER_SEED}) : {digest(other[0], other[2])}",
        "Runs entraînés sur ces données : ['svm-et-donnees', 'svm-memes-donnees']",
    ]


def test_what_the_page_prints(page, split):
    assert page[1] == expected_output(split)


def test_the_site_shows_the_output_of_the_page_in_the_further_notebook(site, split):
    # The build ran the further notebook, this page among the others, in an empty folder.
    step = generated_step("further")
    assert (step / "further_datasets.txt").read_text().splitlines() == expected_output(split)
    client = store_client(step / "cours-mlflow")
    experiment = client.get_experiment_by_name(datasets.DATASETS_EXPERIMENT)
    for run in client.search_runs([experiment.experiment_id]):
        check_datasets(run, split)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page pasted alone in an empty folder: the folder and what it printed."""
    return pasted_page(tmp_path_factory, "datasets.md")
