import contextlib
import itertools
import signal
import sqlite3
import subprocess
import sys
import time

import mlflow
import numpy as np
import pandas as pd
import pytest
from helpers import (
    assert_metrics_equal,
    course_command,
    reference_pipeline,
    reference_run_metrics,
)
from mlflow import MlflowClient
from PIL import Image
from sklearn.metrics.pairwise import euclidean_distances

from snippets import sweep
from tooling.servers.processes import learner_environment


def test_sweep_records_one_finished_run_per_configuration(tracking_store, split, capsys):
    sweep.main()
    with Image.open("metriques_selon_C.png") as figure:  # the page's figure, in the folder
        assert figure.format == "PNG" and figure.width > 2 * figure.height
    experiment = tracking_store.get_experiment_by_name("svm-cancer-du-sein")
    runs = tracking_store.search_runs([experiment.experiment_id], max_results=100)
    sweep_runs = [run for run in runs if run.data.tags.get("sweep") == "C-gamma"]
    others = [run for run in runs if run.data.tags.get("sweep") != "C-gamma"]

    grid = set(
        itertools.product(["0.01", "0.1", "1.0", "10.0", "100.0"], ["0.001", "0.01", "0.1", "1.0"])
    )
    recorded = [(run.data.params["C"], run.data.params["gamma"]) for run in sweep_runs]
    assert sorted(recorded) == sorted(grid)
    assert [run.info.run_name for run in others] == ["meilleur-reglage"]
    assert all(run.info.status == "FINISHED" for run in runs)

    # Every run's metrics, against scikit-learn's own scorers on an independent fit.
    scores = {}
    for run in sweep_runs:
        C, gamma = float(run.data.params["C"]), float(run.data.params["gamma"])
        expected = reference_run_metrics(split, C, gamma)
        assert_metrics_equal(run.data.metrics, expected)
        balanced = round((expected["sensitivity"] + expected["specificity"]) / 2, 10)
        scores[(C, gamma)] = (balanced, expected["sensitivity"])

    # The best configuration by the stated criterion, computed here, got the one model.
    best_score = max(scores.values())
    best_configs = {config for config, score in scores.items() if score == best_score}
    [best_run] = others
    best_config = (
        float(best_run.data.params["C"]),
        float(best_run.data.params["gamma"]),
    )
    assert best_config in best_configs
    [model] = tracking_store.search_logged_models([experiment.experiment_id])
    assert model.source_run_id == best_run.info.run_id
    X_test = split[1]
    loaded = mlflow.pyfunc.load_model(f"models:/{model.model_id}")
    assert (loaded.predict(X_test) == reference_pipeline(split, *best_config).predict(X_test)).all()
    assert (
        f"C={best_run.data.params['C']}, gamma={best_run.data.params['gamma']}"
        in capsys.readouterr().out
    )


def test_select_best_run_uses_balanced_accuracy_then_sensitivity():
    runs = pd.DataFrame(
        {
            "run_id": [
                "accurate-but-blind",
                "balanced",
                "tie-less-sensitive",
                "tie-more-sensitive",
            ],
            "metrics.sensitivity": [0.0, 0.90, 0.80, 0.96],
            "metrics.specificity": [1.0, 0.94, 0.98, 0.82],
        }
    )
    # Means: 0.5, 0.92, 0.89, 0.89 -> "balanced" wins.
    assert sweep.select_best_run(runs)["run_id"] == "balanced"
    tie = runs[runs["run_id"].str.startswith("tie")]
    assert sweep.select_best_run(tie)["run_id"] == "tie-more-sensitive"


def test_running_the_sweep_again_only_adds_the_missing_settings(tracking_store):
    sweep.setup_tracking()
    first = sweep.run_sweep(c_values=[0.1, 1.0], gamma_values=[0.01])
    again = sweep.run_sweep(c_values=[0.1, 1.0, 10.0], gamma_values=[0.01])
    assert len(first) == 2 and len(again) == 1
    experiment = tracking_store.get_experiment_by_name("svm-cancer-du-sein")
    runs = tracking_store.search_runs([experiment.experiment_id])
    settings = sorted((run.data.params["C"], run.data.params["gamma"]) for run in runs)
    assert settings == [("0.1", "0.01"), ("1.0", "0.01"), ("10.0", "0.01")]
    assert tracking_store.get_run(again[0]).data.params["C"] == "10.0"


def run_statuses(database):
    """{run id: status}, read straight from the SQLite file while another process writes."""
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection:
            return dict(connection.execute("SELECT run_uuid, status FROM runs"))
    except sqlite3.OperationalError:  # the tables are not created yet
        return {}


def interrupt_sweep_during_a_run(folder):
    """Starts `python -m snippets.sweep`, presses Ctrl+C while a run is RUNNING; stderr."""
    database = folder / "mlflow.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "snippets.sweep"],
        cwd=folder,
        env=learner_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl+C as in a terminal, even if the tests were started where SIGINT is ignored (a
        # command run with & by a shell script): Python then leaves it ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    settings = len(sweep.C_VALUES) * len(sweep.GAMMA_VALUES)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        statuses = list(run_statuses(database).values())
        # A run of the sweep itself: once all its settings are done, the RUNNING run is the
        # best setting's, logged after the sweep.
        if 2 <= statuses.count("FINISHED") < settings and "RUNNING" in statuses:
            break
        time.sleep(0.02)
    else:
        process.kill()
        _, err = process.communicate(timeout=60)
        raise TimeoutError(f"no run of the sweep seen RUNNING before its end or 180 s:\n{err}")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    return err


@pytest.mark.slow  # two sweeps in subprocesses
def test_an_interrupted_sweep_ends_its_run_killed_and_running_it_again_completes_it(
    tmp_path, split
):
    # Ctrl+C lands inside a run almost every time; between two runs, no run is left to mark.
    for _attempt in range(3):
        err = interrupt_sweep_during_a_run(tmp_path)
        assert "Interrompu (Ctrl+C) : le run en cours est marqué KILLED" in err
        assert "Traceback" not in err
        statuses = run_statuses(tmp_path / "mlflow.db")
        assert "RUNNING" not in statuses.values()
        if "KILLED" in statuses.values():
            break
    assert "KILLED" in statuses.values()
    finished_before = list(statuses.values()).count("FINISHED")

    result = course_command("sweep", folder=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{20 - finished_before} nouveaux runs" in result.stdout

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("svm-cancer-du-sein")
    runs = client.search_runs([experiment.experiment_id], max_results=200)
    sweep_runs = [run for run in runs if run.data.tags.get("sweep") == "C-gamma"]
    finished = [run for run in sweep_runs if run.info.status == "FINISHED"]
    killed = [run for run in runs if run.info.status == "KILLED"]
    assert {run.info.status for run in runs} <= {"FINISHED", "KILLED"}
    assert killed and all(run.info.end_time for run in killed)
    grid = itertools.product(sweep.C_VALUES, sweep.GAMMA_VALUES)
    expected = sorted((str(C), str(gamma)) for C, gamma in grid)
    recorded = sorted((run.data.params["C"], run.data.params["gamma"]) for run in finished)
    assert recorded == expected  # each setting exactly once
    for run in finished:
        C, gamma = float(run.data.params["C"]), float(run.data.params["gamma"])
        assert_metrics_equal(run.data.metrics, reference_run_metrics(split, C, gamma))


def test_metrics_vs_c_draws_one_curve_per_gamma_on_a_log_axis(sweep_rows):
    figure = sweep.plot_metrics_vs_c(sweep_rows)
    axes = figure.axes
    assert [ax.get_title() for ax in axes] == [
        "Exactitude",
        "Sensibilité",
        "Spécificité",
    ]
    for ax, metric in zip(axes, ["accuracy", "sensitivity", "specificity"], strict=True):
        assert ax.get_xscale() == "log"
        assert len(ax.lines) == 2
        for line in ax.lines:
            gamma = line.get_label().removeprefix("gamma = ")
            expected = sweep_rows[sweep_rows["params.gamma"].astype(float) == float(gamma)]
            expected = expected.assign(C=expected["params.C"].astype(float)).sort_values("C")
            assert line.get_xdata().tolist() == expected["C"].tolist()
            assert line.get_ydata().tolist() == expected[f"metrics.{metric}"].tolist()


def test_the_readings_the_sweep_page_gives_of_these_plots(split):
    """The numbers the sweep page gives when it reads the Scatter Plot and the Contour Plot, and
    when it explains why C = 0.01 and gamma = 1 fail, recomputed from the split."""
    X_train, X_test, y_train, y_test = split
    metrics = {
        (C, gamma): reference_run_metrics(split, C, gamma)
        for C, gamma in itertools.product(sweep.C_VALUES, sweep.GAMMA_VALUES)
    }
    assert (len(y_test), int((y_test == 0).sum())) == (143, 53)
    assert (len(y_train), int((y_train == 1).sum())) == (426, 267)
    # The Scatter Plot for gamma = 0.01, and C = 10 across gamma.
    scatter = [round(metrics[C, 0.01]["accuracy"], 3) for C in sweep.C_VALUES]
    assert scatter == [0.629, 0.944, 0.972, 0.979, 0.972]
    assert round(metrics[10.0, 1.0]["accuracy"], 3) == 0.636
    # The failures: C = 0.01 everywhere, gamma = 1 everywhere, and nothing else.
    failed = {key for key, value in metrics.items() if value["sensitivity"] < 0.1}
    assert failed == {(C, g) for C, g in metrics if C == 0.01 or g == 1.0}
    for key in failed:
        assert round(metrics[key]["accuracy"], 3) in (0.629, 0.636)
        assert round(metrics[key]["accuracy"], 3) == 0.629 or key in {(10.0, 1.0), (100.0, 1.0)}
    assert round(metrics[100.0, 1.0]["sensitivity"], 3) == round(1 / 53, 3) == 0.019
    # The good zone and the specificity everywhere.
    good = [(C, g) for C in (10.0, 100.0) for g in (0.001, 0.01, 0.1)]
    good += [(1.0, 0.01), (1.0, 0.1)]
    sensitivities = [metrics[key]["sensitivity"] for key in good]
    assert (round(min(sensitivities), 2), round(max(sensitivities), 2)) == (0.94, 0.98)
    assert min(value["specificity"] for value in metrics.values()) > 0.94

    def decision(C, gamma, X):
        pipeline = reference_pipeline(split, C, gamma)
        svc = pipeline[-1]
        values = pipeline.decision_function(X)
        assert list(pipeline.classes_) == [0, 1]  # f > 0: benign (1)
        return values, values - svc.intercept_[0], svc.intercept_[0], pipeline

    # Too much regularisation: every tumour benign, train and test, for every gamma.
    for gamma in sweep.GAMMA_VALUES:
        values, kernel, b, pipeline = decision(0.01, gamma, X_test)
        assert (values > 0).all() and (pipeline.predict(X_train) == 1).all()
        assert (abs(kernel) < b).all()
        assert abs(pipeline[-1].dual_coef_).max() <= 0.01 + 1e-12
    values, kernel, b, _ = decision(0.01, 0.01, X_test)
    assert (round(kernel.min(), 2), round(kernel.max(), 2), round(b, 2)) == (-0.42, 0.51, 0.61)
    malignant, benign = values[y_test == 0], values[y_test == 1]
    assert (round(malignant.min(), 2), round(malignant.max(), 2)) == (0.19, 0.83)
    assert (round(benign.min(), 2), round(benign.max(), 2)) == (0.69, 1.12)
    # The constant term leans to the majority class: made malignant, it says malignant.
    keep = np.concatenate([np.flatnonzero(y_train == 0), np.flatnonzero(y_train == 1)[:100]])
    flipped = (X_train.iloc[keep], X_test, y_train.iloc[keep], y_test)
    for gamma in sweep.GAMMA_VALUES:
        assert (reference_pipeline(flipped, 0.01, gamma).predict(X_test) == 0).all()
    _, kernel, _, _ = decision(0.1, 0.01, X_test)
    assert (round(kernel.min(), 2), round(kernel.max(), 2)) == (-1.45, 1.77)
    assert round(metrics[0.1, 0.01]["sensitivity"], 3) == 0.849  # most malignant ones below 0
    # A kernel too narrow: test tumours far from every training tumour.
    scaler = reference_pipeline(split, 1.0, 1.0)[0]
    squared = euclidean_distances(scaler.transform(X_test), scaler.transform(X_train), squared=True)
    assert round(float(np.median(squared))) == 38
    assert np.floor(np.log10(np.exp(-np.median(squared)))) == -17
    nearest = float(np.median(squared.min(axis=1)))
    assert (round(nearest, 2), round(np.exp(-nearest), 3)) == (4.45, 0.012)
    assert round(float(np.mean(np.exp(-squared) < 0.001)), 2) == 0.97
    for C, benign_count, b_shown in [
        (0.01, 143, None),
        (0.1, 143, None),
        (1.0, 143, 0.30),
        (10.0, 142, 0.18),
        (100.0, 142, 0.18),
    ]:
        values, kernel, b, pipeline = decision(C, 1.0, X_test)
        assert int((values > 0).sum()) == benign_count and b > 0
        assert b_shown is None or round(b, 2) == b_shown
        assert C != 10.0 or round(float(np.median(abs(kernel))), 3) == 0.016
        assert ((values <= 0) <= (y_test == 0).to_numpy()).all()  # the one found is malignant
        if C >= 1:  # every training tumour a support vector, learnt by heart
            assert len(pipeline[-1].support_) == 426
            assert (pipeline.predict(X_train) == y_train).all()
