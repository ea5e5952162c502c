"""The course as a learner installs it: a fresh virtual environment made from requirements.txt
alone (`pip install -e .`, here by uv from its cache, without network), then the course's
commands run from an empty folder outside the repository and write there. A model logged with
the default configuration lists none of the maintainers' tools, and the model page shows the
same requirements."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, generated_step, store_client

from tooling.servers.processes import learner_environment
from tooling.versions import pinned
from tooling.website.maintainer_tools import maintainer_only

UV_HELP = (
    "uv ne peut pas refaire sans réseau l'environnement d'un apprenant : installez d'abord les "
    "paquets du cours avec uv (uv pip install -e . -r requirements-dev.txt), qui les garde en "
    "cache, comme le fait .ci/run."
)


def run(command, **kwargs):
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False, **kwargs
    )


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    """(python of the learner's venv, an empty working folder outside the repository)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    venv = tmp_path_factory.mktemp("learner") / "venv"
    assert run([uv, "venv", "--python", sys.executable, venv]).returncode == 0
    python = venv / "bin" / "python"
    installed = run([uv, "pip", "install", "--offline", "--python", python, "-e", ROOT])
    if installed.returncode != 0:
        message = f"{UV_HELP}\n{installed.stderr[-2000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("cours-mlflow")
    assert ROOT not in folder.parents
    return python, folder


def in_learner_terminal(learner, *command):
    python, folder = learner
    env = learner_environment(PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    return run([python, *command], cwd=folder, env=env, timeout=600)


@pytest.fixture(scope="module")
def trained(learner):
    """`python -m snippets.train --C 1.0 --gamma scale`, run once; the model's requirements."""
    _, folder = learner
    result = in_learner_terminal(learner, "-m", "snippets.train", "--C", "1.0", "--gamma", "scale")
    assert result.returncode == 0, result.stderr[-3000:]
    client = store_client(folder)
    experiment = client.get_experiment_by_name("svm-cancer-du-sein")
    [model] = client.search_logged_models([experiment.experiment_id])
    assert f"Modèle : models:/{model.model_id}" in result.stdout
    path = Path(model.artifact_location.removeprefix("file://")) / "requirements.txt"
    return path.read_text().split()


def test_the_learners_environment_holds_none_of_the_maintainers_tools(learner):
    python, _ = learner
    listed = run([python, "-m", "pip", "list", "--format", "json"])
    if listed.returncode != 0:  # a venv made by uv has no pip: ask uv
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
        listed = run([uv, "pip", "list", "--format", "json", "--python", python])
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert {"mlflow", "scikit-learn", "mkdocs", "cours-mlflow-tracking"} <= names
    assert names & maintainer_only() == set()


def test_the_diagnostic_runs_from_an_empty_folder_and_creates_nothing(learner):
    _, folder = learner
    before = sorted(folder.iterdir())
    result = in_learner_terminal(learner, "-m", "snippets.diagnostic", "--port", "9")
    assert f"Diagnostic MLflow du dossier {folder}" in result.stdout
    assert f"(version du cours : {pinned()['mlflow']})" in result.stdout
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(folder.iterdir()) == before


def test_train_writes_its_store_in_the_folder_it_runs_from(learner, trained):
    _, folder = learner
    assert {path.name for path in folder.iterdir()} == {"mlflow.db", "mlruns"}
    [run_info] = store_client(folder).search_runs(
        [store_client(folder).get_experiment_by_name("svm-cancer-du-sein").experiment_id]
    )
    assert run_info.info.status == "FINISHED"
    assert run_info.data.params == {"C": "1.0", "gamma": "scale", "kernel": "rbf"}


def test_a_default_model_lists_none_of_the_maintainers_tools(trained):
    names = {requirement.split("==")[0].lower() for requirement in trained}
    assert names & maintainer_only() == set()
    pins = pinned()
    for name in ["mlflow", "scikit-learn", "pandas", "numpy"]:
        assert f"{name}=={pins[name]}" in trained
    assert any(requirement.startswith("skops==") for requirement in trained)


def test_the_model_page_shows_what_a_learner_gets(site, trained):
    shown = (generated_step("local") / "local_model_requirements.txt").read_text().split()
    assert shown == trained
