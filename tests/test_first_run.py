import subprocess
import sys

import pytest
from helpers import reference_run_metrics

from snippets import first_run
from tooling.processes import learner_environment


def test_main_creates_the_experiment_and_one_finished_run(tracking_store, split, capsys):
    first_run.main()

    experiment = tracking_store.get_experiment_by_name(first_run.EXPERIMENT_NAME)
    [run] = tracking_store.search_runs([experiment.experiment_id])
    assert run.info.run_name == "premier-run"
    assert run.info.status == "FINISHED"
    assert run.data.params == {"C": "1.0", "gamma": "scale", "kernel": "rbf"}
    assert run.data.tags["model_family"] == "svm"
    expected = reference_run_metrics(split, 1.0, "scale")["accuracy"]
    assert run.data.metrics == {"accuracy": expected}
    assert "Statut : FINISHED" in capsys.readouterr().out


def settings_on_import(folder, **env):
    """TRACKING_URI and EXPERIMENT_NAME as a fresh Python process sees them, in folder."""
    code = "from snippets.first_run import *; print(TRACKING_URI); print(EXPERIMENT_NAME)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env=learner_environment(**env),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


@pytest.mark.slow  # two fresh Python processes
def test_the_tracking_uri_and_experiment_come_from_the_environment_when_set(tmp_path):
    server = "http://127.0.0.1:5005"
    assert settings_on_import(
        tmp_path, MLFLOW_TRACKING_URI=server, MLFLOW_EXPERIMENT_NAME="svm-alice"
    ) == [server, "svm-alice"]
    assert settings_on_import(tmp_path) == ["sqlite:///mlflow.db", "svm-cancer-du-sein"]
