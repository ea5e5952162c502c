"""The « Serveur de suivi partagé » page, for real: a PostgreSQL server, the page's database and
server commands, accounts created by the administrator, then two learners who run the sweep at
the same time from two processes. Everything is recorded once, on the server."""

import subprocess
import urllib.error
import urllib.request

import pytest
import sqlalchemy
from helpers import ROOT, assert_sweep_and_model_in
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from tooling.servers.page_server import EXAMPLE_SERVER, substituted
from tooling.servers.processes import learner_environment


def test_two_learners_sweep_at_once_and_everything_is_recorded_once(
    shared_server, tmp_path, split, monkeypatch
):
    env = learner_environment()
    accounts = substituted("shared_server.sh:accounts", {EXAMPLE_SERVER: shared_server.uri})
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
            "shared_server.sh:learner",
            {EXAMPLE_SERVER: shared_server.uri, "le-mot-de-passe-reçu": password},
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
    figures = 0
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
        # The server keeps each experiment's files in a folder named by its id.
        folder = shared_server.artifacts / experiment.experiment_id
        figures += len(list(folder.rglob("confusion_matrix.png")))
    # The server ran with the page's account configuration, only its folder changed, and the
    # accounts are in the database it names; the artifacts are files on the server.
    page_config = (ROOT / "snippets" / "shared_server.ini").read_text()
    folder = shared_server.artifacts.parent
    used = (folder / "basic_auth.ini").read_text()
    assert used == page_config.replace("/srv/mlflow/", f"{folder}/")
    assert (folder / "basic_auth.db").exists()
    assert figures == 42

    # Straight from PostgreSQL: 21 runs per learner, no more.
    engine = sqlalchemy.create_engine(shared_server.database)
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                sqlalchemy.text(
                    "SELECT e.name, count(*) FROM runs r JOIN experiments e "
                    "ON r.experiment_id = e.experiment_id "
                    "WHERE e.name LIKE 'svm-cancer-du-sein-%' GROUP BY e.name"
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
