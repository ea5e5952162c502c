"""« Régler sans tricher »: an Optuna study recorded as one parent run with a nested child run
per trial, each child's score the cross-validated balanced accuracy recomputed here with
scikit-learn on the same folds, the parent holding its best child, and the retrained best
setting measured once on the test part, with its datasets and a Logged Model that predicts
like a pipeline refitted here. The page's blocks are pasted alone into one fresh session in an
empty folder; what they print, and every claim of the page's prose on the comparison with the
sweep, is checked against values read back from the store or recomputed here."""

import json
import re
from pathlib import Path

import mlflow
import numpy as np
import optuna
import pytest
from helpers import (
    assert_metrics_equal,
    assert_model_predicts_like_reference,
    generated_step,
    pasted_page,
    reference_metrics,
    reference_pipeline,
    reference_run_metrics,
    run_as_a_learner,
    store_client,
)
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from snippets import tuning
from tooling import ROOT
from tooling.sections import python_blocks

EXPERIMENT = "reglage-svm"
TRIALS = 50  # the page's study
GRID = [(C, gamma) for C in (0.01, 0.1, 1.0, 10.0, 100.0) for gamma in (0.001, 0.01, 0.1, 1.0)]
MALIGNANT = 0
SEVEN = {"accuracy", "sensitivity", "specificity", "precision", "npv", "fall_out", "fdr"}


def cv_reference(split, C, gamma):
    """The page's criterion, computed here: balanced accuracy over the same five folds."""
    X_train, _, y_train, _ = split
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    model = make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))
    scores = cross_val_score(model, X_train, y_train, cv=folds, scoring="balanced_accuracy")
    return scores.mean()


def setting(run):
    return float(run.data.params["C"]), float(run.data.params["gamma"])


def trial_number(run):
    return int(re.fullmatch(r"essai-(\d{2})", run.info.run_name)[1])


def study_runs(folder):
    """(client, experiment, parent, children by trial number) read back from folder's store."""
    client = store_client(folder)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    [parent] = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    children = [run for run in runs if run is not parent]
    return client, experiment, parent, sorted(children, key=trial_number)


def best_child(children):
    """Optuna's best trial: the highest score, the earliest trial among ties."""
    top = max(child.data.metrics["cv_balanced_accuracy"] for child in children)
    return next(c for c in children if c.data.metrics["cv_balanced_accuracy"] == top)


def grid_reference(split):
    """The sweep's 20 settings, each with its test balanced accuracy, its sensitivity and its
    cross-validated score, computed here; and the sweep's choice (best test balanced
    accuracy, then best sensitivity, the first in grid order among exact ties)."""
    _, X_test, _, y_test = split
    rows = []
    for C, gamma in GRID:
        y_pred = reference_pipeline(split, C, gamma).predict(X_test)
        test = balanced_accuracy_score(y_test, y_pred)
        sensitivity = recall_score(y_test, y_pred, pos_label=MALIGNANT)
        rows.append((C, gamma, test, sensitivity, cv_reference(split, C, gamma)))
    choice = max(rows, key=lambda row: (round(row[2], 10), row[3]))  # max keeps the first
    return rows, choice


@pytest.fixture(scope="module")
def grid(split):
    return grid_reference(split)


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_the_study_is_one_parent_with_a_nested_finished_child_per_trial(page):
    _, _, parent, children = study_runs(page[0])
    assert parent.info.run_name == "etude-optuna"
    assert parent.data.tags["tuning"] == "optuna"
    assert parent.info.status == "FINISHED"
    assert len(children) == TRIALS >= 20
    assert int(parent.data.params["n_trials"]) == len(children)
    assert [child.info.run_name for child in children] == [f"essai-{n:02d}" for n in range(50)]
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.info.status == "FINISHED"
        assert set(child.data.params) == {"C", "gamma"}
        assert set(child.data.metrics) == {"cv_balanced_accuracy"}
        C, gamma = setting(child)
        assert 1e-2 <= C <= 1e3 and 1e-4 <= gamma <= 1  # the page's search space


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_each_child_records_its_cross_validated_score_recomputed_here(page, split):
    _, _, _, children = study_runs(page[0])
    for child in children:
        recorded = child.data.metrics["cv_balanced_accuracy"]
        assert recorded == pytest.approx(cv_reference(split, *setting(child)), abs=1e-12)


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_the_parent_holds_its_best_child(page, split):
    _, _, parent, children = study_runs(page[0])
    best = best_child(children)
    scores = [child.data.metrics["cv_balanced_accuracy"] for child in children]
    assert parent.data.metrics["cv_balanced_accuracy"] == max(scores)
    assert {k: parent.data.params[k] for k in ("C", "gamma")} == best.data.params
    assert parent.data.tags["best_trial"] == best.info.run_name
    expected = cv_reference(split, *setting(parent))
    assert parent.data.metrics["cv_balanced_accuracy"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_the_study_searched_near_its_best_settings_after_a_random_start(page):
    # What the page says of the trials: the first ten, drawn at random, include useless
    # models (a score of 0.5); the later ones gather closer to the best setting.
    _, _, _, children = study_runs(page[0])
    first, later = children[:10], children[10:]
    assert any(child.data.metrics["cv_balanced_accuracy"] == 0.5 for child in first)
    best = np.log10(setting(best_child(children)))

    def median_distance(runs):
        return np.median([np.linalg.norm(np.log10(setting(run)) - best) for run in runs])

    assert median_distance(later) < median_distance(first)


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_the_best_setting_is_measured_once_on_the_test_with_its_datasets(page, split):
    client, _, parent, _ = study_runs(page[0])
    recorded = {k: v for k, v in parent.data.metrics.items() if k != "cv_balanced_accuracy"}
    assert set(recorded) == SEVEN
    assert_metrics_equal(recorded, reference_run_metrics(split, *setting(parent)))
    artifacts = [a.path for a in client.list_artifacts(parent.info.run_id)]
    assert "confusion_matrix.png" in artifacts

    X_train, X_test, y_train, y_test = split
    expected = {
        "training": ("tumeurs-entrainement", X_train, y_train),
        "test": ("tumeurs-test", X_test, y_test),
    }
    found = {}
    for dataset_input in parent.inputs.dataset_inputs:
        tags = {tag.key: tag.value for tag in dataset_input.tags}
        found[tags["mlflow.data.context"]] = dataset_input.dataset
    assert set(found) == set(expected)
    for context, (name, features, target) in expected.items():
        frame = features.assign(target=target)
        assert found[context].name == name
        assert found[context].digest == mlflow.data.from_pandas(frame, targets="target").digest
        assert json.loads(found[context].profile)["num_rows"] == len(features)


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_the_logged_model_predicts_like_a_pipeline_refitted_here(page, split):
    folder = page[0]
    client, experiment, parent, _ = study_runs(folder)
    [model] = client.search_logged_models([experiment.experiment_id])
    assert model.source_run_id == parent.info.run_id
    assert model.name == "model"
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    # The reference pipeline has no probability=True: predict does not depend on it.
    assert_model_predicts_like_reference(uri, model.model_id, parent, split)
    mlflow.set_tracking_uri(uri)
    try:
        loaded = mlflow.sklearn.load_model(f"models:/{model.model_id}")
    finally:
        mlflow.set_tracking_uri(None)
    X_test = split[1]
    assert loaded[-1].probability is True
    probabilities = loaded.predict_proba(X_test)
    assert probabilities.shape == (len(X_test), 2)
    assert np.allclose(probabilities.sum(axis=1), 1)


def check_output(lines, folder, split, grid):
    """What the page prints, against the store of the folder it ran in and values recomputed
    here; and the claims of the page's prose on the comparison with the sweep."""
    client, experiment, parent, children = study_runs(folder)
    best = best_child(children)
    C, gamma = setting(parent)
    cv = cv_reference(split, C, gamma)
    params = {"C": repr(C), "gamma": repr(gamma), "n_trials": str(TRIALS)}
    assert lines[:3] == [
        f"Run parent {parent.info.run_id} ({best.info.run_name} en tête)",
        f"Paramètres : {params}",
        f"Exactitude équilibrée en validation croisée : {cv:.4f}",
    ]

    assert lines[3] == f"{TRIALS} runs enfants ; les cinq meilleurs :"
    assert lines[4].split() == ["runName", "C", "gamma", "cv_balanced_accuracy"]
    ranked = sorted(
        children, key=lambda c: (-c.data.metrics["cv_balanced_accuracy"], c.info.run_name)
    )
    for line, child in zip(lines[5:10], ranked[:5], strict=True):
        child_cv = cv_reference(split, *setting(child))
        name, *numbers = line.split()
        assert name == child.info.run_name
        assert numbers == [f"{value:.4g}" for value in (*setting(child), child_cv)]

    [model] = client.search_logged_models([experiment.experiment_id])
    assert lines[10] == f"Modèle final : models:/{model.model_id}"
    _, X_test, _, y_test = split
    metrics = reference_metrics(y_test, reference_pipeline(split, C, gamma).predict(X_test))
    metrics["cv_balanced_accuracy"] = cv
    assert lines[11:19] == [f"  {name:<20} {metrics[name]:.4f}" for name in sorted(metrics)]

    rows, (grid_C, grid_gamma, grid_test, _, grid_cv) = grid
    tuned_test = balanced_accuracy_score(
        y_test, reference_pipeline(split, C, gamma).predict(X_test)
    )
    assert lines[19] == "Exactitude équilibrée des deux réglages retenus :"
    assert lines[20].split() == ["C", "gamma", "validation", "croisée", "test"]
    sweep_line = f"balayage, choix sur le test {grid_C:.4g} {grid_gamma:.4g}"
    assert " ".join(lines[21].split()) == f"{sweep_line} {grid_cv:.4f} {grid_test:.4f}"
    study_line = f"étude, choix par validation croisée {C:.4g} {gamma:.4g}"
    assert " ".join(lines[22].split()) == f"{study_line} {cv:.4f} {tuned_test:.4f}"
    rank = 1 + sum(row[4] > grid_cv for row in rows)
    assert lines[23:] == [f"Rang du choix du balayage en validation croisée : {rank} sur 20"]

    # The prose: the sweep's figure is above its cross-validated score, which is not the
    # grid's best; the study's score beats every grid setting's; the two test figures lie
    # within one malignant tumour of each other (half of 1/53 of balanced accuracy, twice).
    assert grid_cv < grid_test and rank > 1
    assert cv > max(row[4] for row in rows)
    assert abs(grid_test - tuned_test) <= 1 / 53 + 1e-12
    # The numbers the prose gives: 426 training tumours, 143 test ones, 53 malignant.
    assert [len(split[0]), len(X_test), int((y_test == MALIGNANT).sum())] == [426, 143, 53]
    assert (f"{1 / 53:.3f}", f"{1 / 106:.4f}") == ("0.019", "0.0094")


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_what_the_page_prints(page, split, grid):
    folder, lines = page
    check_output(lines, folder, split, grid)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One SQLite store for the in-process studies of this module, each in its experiment."""
    folder = tmp_path_factory.mktemp("etudes")
    yield f"sqlite:///{folder / 'mlflow.db'}"
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def test_run_study_opens_and_closes_its_parent_run(store, split):
    tuning.setup_tracking(store, "etude-courte")
    X_train, _, y_train, _ = split
    study, parent_run_id = tuning.run_study(X_train, y_train, n_trials=3)
    assert mlflow.active_run() is None
    assert len(study.trials) == 3
    children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'")
    names = list(children["tags.mlflow.runName"])
    assert sorted(names) == ["essai-00", "essai-01", "essai-02"]
    scores = dict(zip(names, children["metrics.cv_balanced_accuracy"], strict=True))
    assert [scores[f"essai-{t.number:02d}"] for t in study.trials] == [
        t.value for t in study.trials
    ]


def test_a_failing_trial_fails_its_run_and_the_parent(store, split, monkeypatch):
    # What the page says: the failing trial's run ends FAILED, the study stops, and so
    # does the parent run, FAILED too.
    def broken(params, X_train, y_train):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(tuning, "cv_score", broken)
    tuning.setup_tracking(store, "etude-en-panne")
    X_train, _, y_train, _ = split
    with pytest.raises(RuntimeError, match="panne simulée"):
        tuning.run_study(X_train, y_train, n_trials=3)
    assert mlflow.active_run() is None
    runs = mlflow.search_runs()
    assert sorted(zip(runs["tags.mlflow.runName"], runs["status"], strict=True)) == [
        ("essai-00", "FAILED"),
        ("etude-optuna", "FAILED"),
    ]


def test_the_plain_objective_records_nothing(tmp_path, monkeypatch, split):
    # Another page runs make_objective elsewhere (on Spark): it must stay free of MLflow.
    # Run in an empty folder with no tracking URI set, it leaves no store and no run behind.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    X_train, _, y_train, _ = split
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(tuning.make_objective(X_train, y_train), n_trials=2)
    assert mlflow.active_run() is None
    assert list(tmp_path.iterdir()) == []
    for trial in study.trials:
        assert trial.value == pytest.approx(cv_reference(split, **trial.params), abs=1e-12)


def test_final_model_predicts_like_the_pipeline_without_probabilities(split):
    X_train, X_test, y_train, _ = split
    params = {"C": 54.0, "gamma": 0.0038}
    model = tuning.final_model(params)
    assert model[-1].get_params()["probability"] is True
    assert model[-1].get_params()["random_state"] == 42
    with pytest.warns(FutureWarning, match="probability"):  # scikit-learn 1.9 announces it
        model.fit(X_train, y_train)
    plain = reference_pipeline(split, **params)
    assert (model.predict(X_test) == plain.predict(X_test)).all()


@pytest.mark.slow  # the page, or the next pages' code, run in a fresh session
def test_the_code_the_next_pages_include_runs_alone(tmp_path):
    # docs/includes/previous/tuning.md, then a short study and its final model, in an empty
    # folder: the next pages start from this block.
    [block] = python_blocks(ROOT / "docs" / "includes" / "previous" / "tuning.md")
    code = block + (
        "\nsetup_tracking(experiment_name=TUNING_EXPERIMENT)"
        "\ndata = load_data()"
        "\nstudy, parent_run_id = run_study(data[0], data[2], n_trials=2)"
        "\nrun_id, model_info = train_final(study.best_params, parent_run_id, data)"
        "\nprint(run_id == parent_run_id, model_info.model_uri)"
    )
    result = run_as_a_learner(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    same, uri = result.stdout.split()
    client = store_client(tmp_path)
    [model] = client.search_logged_models([client.get_experiment_by_name(EXPERIMENT).experiment_id])
    assert (same, uri) == ("True", f"models:/{model.model_id}")


def test_the_site_shows_the_output_of_the_page_in_the_further_notebook(site, split, grid):
    # The build ran the further notebook, this page among the others, in an empty folder.
    step = generated_step("further")
    lines = (step / "further_tuning.txt").read_text().splitlines()
    check_output(lines, Path(step) / "cours-mlflow", split, grid)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page pasted alone in an empty folder: the folder and what it printed."""
    return pasted_page(tmp_path_factory, "tuning.md")
