"""Helpers for the tests: independent reference values and real processes on 127.0.0.1."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import markdown
import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.metrics import accuracy_score, precision_score, recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

ROOT = Path(__file__).resolve().parent.parent
MALIGNANT = 0  # scikit-learn's target_names[0] is "malignant"


def reference_pipeline(split, C, gamma, kernel="rbf"):
    X_train, _, y_train, _ = split
    return make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma, kernel=kernel)).fit(
        X_train, y_train
    )


def reference_metrics(y_true, y_pred):
    """The seven metrics with scikit-learn's own scorers, malignant (0) as the positive class."""
    predicted_malignant = int((y_pred == MALIGNANT).sum())
    benign = int((y_true != MALIGNANT).sum())
    precision = precision_score(y_true, y_pred, pos_label=MALIGNANT, zero_division=0)
    specificity = recall_score(y_true, y_pred, pos_label=1 - MALIGNANT, zero_division=0)
    return {
        "accuracy": accuracy_score(y_true, y_pred),
        "sensitivity": recall_score(y_true, y_pred, pos_label=MALIGNANT, zero_division=0),
        "specificity": specificity,
        "precision": precision,
        "npv": precision_score(y_true, y_pred, pos_label=1 - MALIGNANT, zero_division=0),
        "fall_out": 1 - specificity if benign else 0.0,
        "fdr": 1 - precision if predicted_malignant else 0.0,
    }


def reference_run_metrics(split, C, gamma, kernel="rbf"):
    _, X_test, _, y_test = split
    return reference_metrics(y_test, reference_pipeline(split, C, gamma, kernel).predict(X_test))


def assert_metrics_equal(recorded, expected):
    assert set(recorded) == set(expected)
    for name, value in expected.items():
        assert recorded[name] == pytest.approx(value, abs=1e-12), name


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url, process, timeout):
    """Polls url until it answers 200, the process dies, or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process ended with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def subprocess_env(**extra):
    """The environment of a learner's terminal: the venv's commands on PATH, no tracking URI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def stop(process):
    """Stops a process started with start_new_session=True, and its children, by its id."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def page_python_blocks(page):
    """The Python blocks of a page, in order, as the site shows them (snippets expanded)."""
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={
            "pymdownx.snippets": {
                "base_path": [str(ROOT)],
                "check_paths": False,  # the generated outputs are not needed here
                "dedent_subsections": True,
            }
        },
    )
    expanded = "\n".join(md.preprocessors["snippet"].run(page.read_text().split("\n")))
    fence = re.compile(r"^([ \t]*)```python[^\n]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
    return [textwrap.dedent(match.group(2)) for match in fence.finditer(expanded)]


def run_as_a_learner(code, folder, timeout=600, env=None):
    """Runs code in one fresh Python session in folder, without the course's package on the path."""
    return subprocess.run(
        [sys.executable, "-"],
        input=code,
        cwd=folder,
        env=env or subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def shell_section(name, section):
    """A named section of a shell snippet, as the page shows it."""
    text = (ROOT / "snippets" / name).read_text()
    match = re.search(rf"# --8<-- \[start:{section}\]\n(.*?)# --8<-- \[end:{section}\]", text, re.S)
    return match.group(1)


def assert_finished_sweep(runs, split):
    """All runs finished, and the 20 sweep runs hold the reference metrics of their setting."""
    assert {run.info.status for run in runs} == {"FINISHED"}
    sweep = [run for run in runs if run.data.tags.get("sweep") == "C-gamma"]
    assert len(sweep) == 20
    for run in sweep:
        C, gamma = float(run.data.params["C"]), float(run.data.params["gamma"])
        assert_metrics_equal(run.data.metrics, reference_run_metrics(split, C, gamma))


def chromium_or_skip():
    """The system Chromium; without it, a skip that says how to install it (a failure on CI)."""
    from snippets.ui_tour import CHROMIUM_HELP, find_chromium

    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail(CHROMIUM_HELP)
        pytest.skip(CHROMIUM_HELP)
    return chromium


def build_site(site_dir, **env):
    """A strict build of the site into site_dir, as `mkdocs build --strict` does it."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@contextlib.contextmanager
def tracking_uri(uri):
    """MLflow's fluent API pointed at uri for the block, back to the default afterwards."""
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)


def assert_model_predicts_like_reference(uri, model_id, run, split):
    """The Logged Model, loaded by its id, predicts like a pipeline refitted with run's params."""
    with tracking_uri(uri):
        loaded = mlflow.pyfunc.load_model(f"models:/{model_id}")
    C, gamma = float(run.data.params["C"]), float(run.data.params["gamma"])
    X_test = split[1]
    assert (loaded.predict(X_test) == reference_pipeline(split, C, gamma).predict(X_test)).all()


def assert_sweep_and_model_in(server, experiment_path, split):
    """The experiment holds the finished sweep and the best setting's run with its model."""
    client = MlflowClient(server)
    experiment = client.get_experiment_by_name(experiment_path)
    assert experiment is not None, experiment_path
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert_finished_sweep(runs, split)
    [best] = [run for run in runs if run.info.run_name == "meilleur-reglage"]
    [model] = client.search_logged_models([experiment.experiment_id])
    assert model.source_run_id == best.info.run_id
    assert_model_predicts_like_reference(server, model.model_id, best, split)


def course_command(module, *args, folder, timeout=600, **env):
    """`python -m snippets.<module> args…` run in folder, as a learner runs it from a terminal."""
    return subprocess.run(
        [sys.executable, "-m", f"snippets.{module}", *args],
        cwd=folder,
        env=subprocess_env(PYTHONPATH=str(ROOT), **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
