"""Helpers for the tests: independent reference values and real processes on 127.0.0.1."""

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.metrics import accuracy_score, precision_score, recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tooling import ROOT
from tooling.sections import python_blocks
from tooling.servers.processes import learner_environment

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


def page_code(page):
    """A page's Python blocks, pasted in order, as a learner would."""
    return "\n\n".join(python_blocks(ROOT / "docs" / page))


def run_as_a_learner(code, folder, timeout=600, env=None):
    """Runs code in one fresh Python session in folder, without the course's package on the path."""
    return subprocess.run(
        [sys.executable, "-"],
        input=code,
        cwd=folder,
        env=env or learner_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


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
    from tooling.captures.ui_tour import CHROMIUM_HELP, find_chromium

    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail(CHROMIUM_HELP)
        pytest.skip(CHROMIUM_HELP)
    return chromium


def nav_sources():
    """The files of mkdocs.yml's nav, in order, read from its text (not with the module)."""
    nav = ROOT.joinpath("mkdocs.yml").read_text().split("\nnav:\n", 1)[1]
    return re.findall(r":\s+(\S+\.(?:md|ipynb))\s*$", nav, re.M)


def nav_labels():
    nav = ROOT.joinpath("mkdocs.yml").read_text().split("\nnav:\n", 1)[1]
    return re.findall(r"^\s+- (.+?):\s+\S+\.(?:md|ipynb)\s*$", nav, re.M)


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
def private_store(folder):
    """For the block, the course's code works in folder and writes in folder/mlflow.db (no
    MLFLOW_TRACKING_URI, no MLFLOW_EXPERIMENT_NAME); afterwards, back to the course's default
    store, with no run left active. The URI is absolute: MLflow keeps one store per URI
    string, so sqlite:///mlflow.db would reopen an earlier folder's base after a chdir."""
    from snippets import tracking

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
        tracking.follow(f"sqlite:///{folder / 'mlflow.db'}", tracking.COURSE_EXPERIMENT)
        try:
            yield folder
        finally:
            tracking.follow(tracking.COURSE_TRACKING_URI, tracking.COURSE_EXPERIMENT)
            while mlflow.active_run():
                mlflow.end_run()
            mlflow.set_tracking_uri(None)


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
    """`python -m snippets.<module> args…` run in folder, as a learner runs it from a terminal
    once the course is installed (pip install -e .)."""
    return subprocess.run(
        [sys.executable, "-m", f"snippets.{module}", *args],
        cwd=folder,
        env=learner_environment(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def generated_step(name):
    """The folder of a generation step of the last build (tooling.generate): its outputs, and
    the learner's folder cours-mlflow/ where the page ran, with its store."""
    from tooling.website.generation import MANIFEST

    return Path(json.loads(MANIFEST.read_text())[name])


def store_client(folder):
    return MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")


SPARK_HELP = (
    "Java 17 ou PySpark introuvable : sudo apt-get install -y openjdk-17-jre-headless, "
    'puis pip install -e ".[spark]"'
)


def spark_or_skip():
    """Java 17 and PySpark are there; without them, a skip that says how (a failure on CI)."""
    from snippets import spark_study

    try:
        import pyspark  # noqa: F401
    except ImportError:
        java = None
    else:
        java, _ = spark_study.java_version()
    if java is None or java < 17:
        if os.environ.get("CI") == "true":
            pytest.fail(SPARK_HELP)
        pytest.skip(SPARK_HELP)


def parse_params(params):
    """C, gamma and kernel as MLflow stored them (text), back to the pipeline's values."""
    gamma = params["gamma"]
    return {
        "C": float(params["C"]),
        "gamma": gamma if gamma in ("scale", "auto") else float(gamma),
        "kernel": params.get("kernel", "rbf"),
    }


def learner_command(command, folder, timeout=60):
    """What a command prints, run in the learner's folder and environment."""
    return subprocess.run(
        command,
        cwd=folder,
        env=learner_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout


def pasted_page(tmp_path_factory, page):
    """A page's blocks pasted in order into one fresh session in an empty folder: the folder,
    and the lines the blocks printed."""
    folder = tmp_path_factory.mktemp(Path(page).stem)
    result = run_as_a_learner(page_code(page), folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, result.stdout.splitlines()


def jvms_in(folder):
    """The JVMs still running whose working directory is folder (Linux's /proc)."""
    listing = subprocess.run(
        ["ps", "-eo", "pid=,comm="], capture_output=True, text=True, check=True
    )
    found = []
    for line in listing.stdout.splitlines():
        pid, command = line.split(maxsplit=1)
        if command.strip() == "java":
            try:
                if Path(f"/proc/{pid}/cwd").resolve() == Path(folder).resolve():
                    found.append(int(pid))
            except OSError:
                pass  # ended meanwhile
    return found


def assert_no_jvm_left(folder):
    """No JVM outlives the course's Spark code in folder (it ends when its pipe to Python
    closes: up to 30 s)."""
    deadline = time.monotonic() + 30
    while jvms_in(folder) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert jvms_in(folder) == []


def run_main(main, *args, folder="."):
    """A command's main(argv) run in this process, in folder, as its command runs it: (exit
    code, what it printed, what it wrote on stderr). MLflow's log level is restored."""
    import io
    import logging

    out, err = io.StringIO(), io.StringIO()
    level = logging.getLogger("mlflow").level
    with contextlib.chdir(folder), contextlib.redirect_stdout(out):
        with contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit:  # the parser's refusal
                code = exit.code
            finally:
                logging.getLogger("mlflow").setLevel(level)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder):
    """Every file and folder under folder, with the bytes and the time of each file: what
    a read-only command must leave as it was."""
    import hashlib

    return {
        str(path.relative_to(folder)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir",
            path.stat().st_mtime_ns if path.is_file() else 0,
        )
        for path in sorted(Path(folder).rglob("*"))
    }


def checked(uri, *pages, experiment=None):
    """python -m snippets.verifier --json on uri, run in this process: (exit code, its items
    by (page, key))."""
    from snippets import verifier

    args = ["--tracking-uri", uri, "--json"]
    for page in pages:
        args += ["--page", page]
    if experiment:
        args += ["--experiment", experiment]
    code, out, err = run_main(verifier.main, *args)
    assert out, err
    items = json.loads(out)["items"]
    return code, {(item["page"], item["key"]): item for item in items}
