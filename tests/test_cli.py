"""The course's commands against a tracking server that is not there: a French message within
30 seconds, instead of MLflow's four minutes of retries, and nothing written locally."""

import subprocess
import sys
import time

import pytest
from helpers import tracking_uri

from tooling.processes import learner_environment


def start_command(module, folder, tracking_uri):
    return subprocess.Popen(
        [sys.executable, "-m", f"snippets.{module}"],
        cwd=folder,
        env=learner_environment(MLFLOW_TRACKING_URI=tracking_uri),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow  # two commands in subprocesses
def test_commands_stop_within_30_seconds_when_the_server_is_unreachable(tmp_path):
    started = time.monotonic()
    processes = []
    for module in ["train", "sweep"]:
        folder = tmp_path / module
        folder.mkdir()
        processes.append((folder, start_command(module, folder, "http://127.0.0.1:9")))
    for folder, process in processes:
        _, err = process.communicate(timeout=60)
        elapsed = time.monotonic() - started
        assert elapsed < 30, f"{folder.name}: {elapsed:.0f} s"
        assert process.returncode == 1, err
        assert "Erreur : Le serveur de suivi http://127.0.0.1:9 ne répond pas." in err
        assert "unset MLFLOW_TRACKING_URI" in err
        assert "Connection refused" in err  # MLflow's own reason, kept as the detail
        assert "Traceback" not in err
        assert list(folder.iterdir()) == []  # no local store, no artifacts


def test_fail_fast_sets_mlflow_http_settings_but_keeps_the_users_own(monkeypatch):
    from snippets.cli import fail_fast

    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    fail_fast()
    from mlflow.environment_variables import (
        MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES,
        MLFLOW_HTTP_REQUEST_TIMEOUT,
    )

    # As MLflow reads them: one retry after one second, and the user's own timeout kept.
    assert MLFLOW_HTTP_REQUEST_MAX_RETRIES.get() == 1
    assert MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR.get() == 1
    assert MLFLOW_HTTP_REQUEST_TIMEOUT.get() == 60


@pytest.mark.parametrize(
    ("uri", "fix"),
    [
        ("http://127.0.0.1:9", "Lancez-le d'abord (mlflow server --port 5000)"),
        ("databricks://dbc-1234abcd-5678", "le host du profil dans\n~/.databrickscfg"),
    ],
)
def test_an_unreachable_store_is_explained_for_its_kind(uri, fix):
    from mlflow.exceptions import MlflowException

    from snippets.cli import explain

    # MLflow's own message for a store that does not answer (3.17.2).
    error = MlflowException(
        f"API request to {uri}/api/2.0/mlflow/experiments/get-by-name failed with exception "
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: ... "
        "(Caused by NewConnectionError(': Failed to establish a new connection: "
        "[Errno 111] Connection refused'))"
    )
    with tracking_uri(uri):
        message = explain(error)
    assert message.startswith(f"Le serveur de suivi {uri} ne répond pas.")
    assert fix in message
    assert message.endswith("Cause : [Errno 111] Connection refused")
