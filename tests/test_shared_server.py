"""The « Serveur de suivi partagé » page, for real: a PostgreSQL server, the page's database and
server commands, accounts created by the administrator, then two learners who run the sweep at
the same time from two processes. Everything is recorded once, on the server."""

import re
import shlex
import subprocess
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
import sqlalchemy
from helpers import (
    ROOT,
    assert_sweep_and_model_in,
)
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from tooling.processes import free_port, learner_environment, started
from tooling.sections import section

EXAMPLE_SERVER = "http://mlflow.mon-ecole.fr:5000"


def substituted(name, replacements):
    """A section of shared_server.sh with each example value replaced, each exactly once."""
    text = section(f"shared_server.sh:{name}")
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def exported(text, name):
    return re.search(rf'^export {name}="?([^"\n]*)"?$', text, re.M).group(1)


@pytest.fixture(scope="module")
def shared_server(postgresql, tmp_path_factory):
    pg_port, psql = postgresql
    database = substituted("database", {"sudo -u postgres psql": shlex.join(psql)})
    subprocess.run(["bash", "-c", database], check=True, capture_output=True, timeout=60)

    folder = tmp_path_factory.mktemp("shared-server")
    config = (ROOT / "snippets" / "shared_server.ini").read_text()
    assert config.count("/srv/mlflow/") == 1
    (folder / "basic_auth.ini").write_text(config.replace("/srv/mlflow/", f"{folder}/"))
    port = free_port()
    command = substituted(
        "server",
        {
            "localhost:5432": f"127.0.0.1:{pg_port}",
            "/srv/mlflow/basic_auth.ini": str(folder / "basic_auth.ini"),
            "/srv/mlflow/artifacts": str(folder / "artifacts"),
            "--host 0.0.0.0 --port 5000 --workers 4": f"--host 127.0.0.1 --port {port} --workers 1",
        },
    )
    health = f"http://127.0.0.1:{port}/health"
    with started(command, health, folder, log=folder / "server.log"):
        yield SimpleNamespace(
            uri=f"http://127.0.0.1:{port}",
            artifacts=folder / "artifacts",
            database=exported(command, "MLFLOW_BACKEND_STORE_URI"),
            admin_password=exported(command, "MLFLOW_AUTH_ADMIN_PASSWORD"),
        )


def test_two_learners_sweep_at_once_and_everything_is_recorded_once(
    shared_server, tmp_path, split, monkeypatch
):
    env = learner_environment()
    accounts = substituted("accounts", {EXAMPLE_SERVER: shared_server.uri})
    result = subprocess.run(
        ["bash", "-c", accounts], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    passwords = dict(line.split() for line in result.stdout.splitlines())
    assert set(passwords) == {"alice", "bob"}

    learners = {}
    for name, password in passwords.items():
        folder = tmp_path / name
        folder.mkdir()
        script = substituted(
            "learner", {EXAMPLE_SERVER: shared_server.uri, "le-mot-de-passe-reçu": password}
        ).replace("alice", name)
        learners[name] = subprocess.Popen(
            ["bash", "-c", script], cwd=folder, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    for name, process in learners.items():
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        # Nothing local but the sweep's figure: runs, artifacts and models are on the server.
        assert [p.name for p in (tmp_path / name).iterdir()] == ["metriques_selon_C.png"]

    # Read back through MLflow's API, as the administrator.
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", shared_server.admin_password)
    client = MlflowClient(shared_server.uri)
    for name in passwords:
        experiment_name = f"svm-cancer-du-sein-{name}"
        assert_sweep_and_model_in(shared_server.uri, experiment_name, split)
        experiment = client.get_experiment_by_name(experiment_name)
        runs = client.search_runs([experiment.experiment_id], max_results=100)
        assert len(runs) == 21
        settings = {(run.data.params["C"], run.data.params["gamma"]) for run in runs}
        assert len(settings) == 20  # the 20 settings, and the best one again with its model
        for run in runs:
            [artifact] = client.list_artifacts(run.info.run_id)
            assert artifact.path == "confusion_matrix.png"
    # The accounts are in the configured database; the artifacts are files on the server.
    assert (shared_server.artifacts.parent / "basic_auth.db").exists()
    assert len(list(shared_server.artifacts.rglob("confusion_matrix.png"))) == 42

    # Straight from PostgreSQL: 21 runs per learner, no more.
    engine = sqlalchemy.create_engine(shared_server.database)
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                sqlalchemy.text(
                    "SELECT e.name, count(*) FROM runs r JOIN experiments e "
                    "ON r.experiment_id = e.experiment_id GROUP BY e.name"
                )
            ).all()
        )
    engine.dispose()
    assert counts == {"svm-cancer-du-sein-alice": 21, "svm-cancer-du-sein-bob": 21}

    # Without an account, nothing; with one, only one's own experiments are writable.
    request = urllib.request.Request(
        f"{shared_server.uri}/api/2.0/mlflow/experiments/search?max_results=10"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", passwords["bob"])
    alice = client.get_experiment_by_name("svm-cancer-du-sein-alice")
    with pytest.raises(MlflowException, match="Permission denied"):
        client.create_run(alice.experiment_id)
