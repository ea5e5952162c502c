"""The Databricks code through the `databricks` tracking URI, against a real MLflow server that
stands in for the workspace (DATABRICKS_HOST points to it, with a dummy token)."""

import subprocess
import sys
import time

import pytest
from helpers import (
    ROOT,
    assert_sweep_and_model_in,
    run_as_a_learner,
)

from snippets import databricks_tracking
from tooling.processes import learner_environment
from tooling.sections import python_blocks

DUMMY_TOKEN = "dapi-jeton-factice"


def workspace_env(server, home):
    """A learner's terminal logged in through the environment, with no profile in home."""
    return learner_environment(DATABRICKS_HOST=server, DATABRICKS_TOKEN=DUMMY_TOKEN, HOME=str(home))


def test_command_tracks_the_sweep_into_the_workspace_experiment(
    databricks_server, workdir, monkeypatch, split, capsys
):
    path = "/Users/apprenant@example.com/svm-cancer-du-sein"
    for name, value in workspace_env(databricks_server, workdir).items():
        if name.startswith(("DATABRICKS_", "HOME")):
            monkeypatch.setenv(name, value)
    databricks_tracking.main(["--experiment", path])
    assert f"Expérience : {path}" in capsys.readouterr().out
    assert_sweep_and_model_in(databricks_server, path, split)
    assert not (workdir / "mlflow.db").exists()  # nothing went to a local store


def test_page_blocks_run_in_order_against_the_workspace(databricks_server, tmp_path, split):
    code = "\n\n".join(python_blocks(ROOT / "docs" / "databricks-tracking.md"))
    result = run_as_a_learner(code, tmp_path, env=workspace_env(databricks_server, tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert_sweep_and_model_in(databricks_server, "/Shared/svm-cancer-du-sein", split)


@pytest.mark.slow  # a command in a subprocess
def test_without_credentials_it_stops_quickly_with_a_french_message(tmp_path):
    home, folder = tmp_path / "home", tmp_path / "work"  # a home without ~/.databrickscfg
    home.mkdir()
    folder.mkdir()
    env = learner_environment(HOME=str(home))
    env = {key: value for key, value in env.items() if not key.startswith("DATABRICKS_")}
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "snippets.databricks_tracking"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 1
    assert "Aucun identifiant Databricks trouvé" in result.stderr
    assert "databricks auth login" in result.stderr
    assert "DATABRICKS_HOST et DATABRICKS_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert elapsed < 30, elapsed
    assert list(folder.iterdir()) == []  # no store, no run
