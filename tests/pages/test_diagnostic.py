"""The diagnostic a teacher runs on a learner's machine: what it finds, in French, with the fix,
without writing anything."""

import contextlib
import http.server
import re
import subprocess
import threading
import time

import mlflow
import pytest
from helpers import ROOT, tracking_uri
from mlflow import MlflowClient

from snippets import cli, diagnostic
from tooling.sections import section
from tooling.servers.processes import free_port, learner_environment


def run_diagnostic(capsys, port):
    status = diagnostic.main(["--port", str(port)])
    return status, capsys.readouterr().out


@contextlib.contextmanager
def other_program():
    """A port taken by another program that answers HTTP but is not MLflow, as macOS's
    AirPlay receiver answers 403 on port 5000; yields its port."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_error(403)

        def log_message(self, *args):
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()


def flat(text):
    """The text with its line breaks undone, as the problems are wrapped to the terminal."""
    return " ".join(text.split())


def test_an_empty_folder_has_no_store_and_the_diagnostic_creates_none(workdir, capsys):
    status, out = run_diagnostic(capsys, free_port())
    pinned = re.search(r"^mlflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)[1]
    assert f"MLflow                 {mlflow.__version__} (version du cours : {pinned})" in out
    assert f"sqlite:///{workdir / 'mlflow.db'}" in out
    assert "(défaut du cours : mlflow.db du dossier courant)" in out
    assert "1 problème trouvé :" in out
    assert f"Aucune base {workdir / 'mlflow.db'}" in flat(out)
    assert status == 1
    assert list(workdir.iterdir()) == []


def test_a_store_with_runs_is_counted_per_experiment_and_status(workdir, capsys):
    # Absolute: MLflow keeps one store per URI, and "sqlite:///mlflow.db" may already be
    # bound to another test's folder.
    with tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}"):
        mlflow.set_experiment("a")
        for status in ["FINISHED", "FINISHED", "FAILED"]:
            mlflow.start_run()
            mlflow.end_run(status)
        mlflow.set_experiment("b")
        mlflow.start_run()
        mlflow.end_run("KILLED")
    status, out = run_diagnostic(capsys, free_port())
    assert "joignable : 3 expériences, 4 runs" in out  # with MLflow's "Default"
    assert re.search(r"^ +a +3 runs \(FINISHED 2, FAILED 1\)$", out, re.M)
    assert re.search(r"^ +b +1 run \(KILLED 1\)$", out, re.M)
    assert re.search(r"^ +Default +0 run$", out, re.M)
    assert "Ancien ./mlruns        non" in out
    assert "libre pour mlflow ui" in out
    assert out.rstrip().endswith("Aucun problème trouvé.")
    assert status == 0


def test_a_legacy_mlruns_and_a_taken_port_are_reported_with_their_fix(workdir, capsys, monkeypatch):
    # A real legacy file store, written by MLflow itself, beside the course's mlflow.db.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    with tracking_uri("file:./mlruns"):
        mlflow.set_experiment("ancienne")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}").search_experiments()
    with other_program() as port:
        status, out = run_diagnostic(capsys, port)
    assert "Ancien ./mlruns        oui : 2 expériences" in out  # "Default" and "ancienne"
    assert "ancien magasin en fichiers ./mlruns à côté de mlflow.db" in flat(out)
    assert "migrate-filestore --source . --target sqlite:///anciens-runs.db" in flat(out)
    assert f"Port {port}" in out and "occupé par un autre programme" in out
    assert f"mlflow ui --port {port + 1}" in flat(out)
    assert "2 problèmes trouvés :" in out
    assert status == 1


@pytest.mark.parametrize(
    ("windows", "expected", "other"),
    [
        (False, ["unset MLFLOW_TRACKING_URI", "lsof -i :{port}"], "Remove-Item"),
        (
            True,
            ["Remove-Item Env:MLFLOW_TRACKING_URI", "Get-NetTCPConnection -LocalPort {port}"],
            "unset",
        ),
    ],
)
def test_the_fixes_are_given_in_the_learners_shell(
    workdir, capsys, monkeypatch, windows, expected, other
):
    monkeypatch.setattr(cli, "on_windows", lambda: windows)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    with other_program() as port:
        status, out = run_diagnostic(capsys, port)
    for fix in expected:
        assert fix.format(port=port) in flat(out)
    assert other not in out
    assert status == 1


def test_a_databricks_login_under_the_hosts_name_is_found_and_named(workdir, capsys, monkeypatch):
    # What `databricks auth login` writes: one profile named after the workspace's host.
    home = workdir / "home"
    home.mkdir()
    (home / ".databrickscfg").write_text(
        "[dbc-1234abcd-5678]\nhost = https://dbc-1234abcd-5678.cloud.databricks.com\n"
        "auth_type = databricks-cli\n"
    )
    monkeypatch.setenv("HOME", str(home))
    for name in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DATABRICKS_CONFIG_FILE", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "databricks")
    status, out = run_diagnostic(capsys, free_port())
    assert "Le profil DEFAULT n'est pas dans ~/.databrickscfg, qui contient : " in flat(out)
    assert "--profile dbc-1234abcd-5678" in flat(out)
    assert status == 1
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "databricks://dbc-1234abcd-5678")
    status, out = run_diagnostic(capsys, free_port())
    assert "Databricks (profil dbc-1234abcd-5678)" in out
    assert "n'est pas dans" not in out
    assert not (workdir / "mlflow.db").exists()


def test_a_tracking_server_is_read_and_recognised_on_its_port(
    workdir, capsys, monkeypatch, databricks_server
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", databricks_server)
    experiments = MlflowClient(databricks_server).search_experiments()
    status, out = run_diagnostic(capsys, int(databricks_server.rsplit(":", 1)[1]))
    assert "(variable d'environnement MLFLOW_TRACKING_URI)" in out
    plural = "s" if len(experiments) >= 2 else ""
    assert f"joignable : {len(experiments)} expérience{plural}," in out
    for experiment in experiments:
        assert re.search(rf"^ +{re.escape(experiment.name)} +\d+ runs?\b", out, re.M)
    assert f"un serveur MLflow {mlflow.__version__} y répond déjà" in out
    assert status == 0
    assert list(workdir.iterdir()) == []


def test_the_page_command_says_quickly_that_the_server_does_not_answer(tmp_path):
    command = section("diagnostic.sh:diagnostic")
    assert command == "python -m snippets.diagnostic"
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=learner_environment(MLFLOW_TRACKING_URI="http://127.0.0.1:9"),
        check=False,
    )  # fmt: skip
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "Magasin                injoignable : aucun serveur ne répond" in result.stdout
    assert "Le serveur de suivi http://127.0.0.1:9 ne répond pas." in flat(result.stdout)
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["--port", "abc"], ["--inconnu"]])
def test_bad_arguments_are_refused_in_french(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        diagnostic.main(argv)
    assert exit_info.value.code == 2
    assert "Erreur : " in capsys.readouterr().err
