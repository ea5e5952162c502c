"""The Databricks code against a real MLflow server that stands in for the workspace, logged
in as `databricks auth login` leaves a learner: ~/.databrickscfg holds one profile named after
the workspace host, not DEFAULT. Each way of naming that profile (--profile, the variable
DATABRICKS_CONFIG_PROFILE, a databricks://<profil> tracking URI) runs the sweep into its own
experiment; without a profile named, the command stops with the profiles it found."""

import shlex
import subprocess
import sys
import time

import pytest
from helpers import ROOT, assert_sweep_and_model_in
from mlflow import MlflowClient

from snippets import databricks_tracking
from tooling.sections import python_blocks, section
from tooling.servers.processes import learner_environment

PROFILE = "dbc-1234abcd-5678"  # the name `databricks auth login` gives a Free Edition host
DUMMY_TOKEN = "dapi-jeton-factice"
SCRIPT = "databricks_tracking.sh"
DATABRICKS_VARIABLES = ["DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE"]
DATABRICKS_VARIABLES += ["DATABRICKS_CONFIG_FILE"]


def logged_in_home(folder, server):
    """A home whose ~/.databrickscfg holds only the host-named profile, pointing at server."""
    home = folder / "home"
    home.mkdir()
    (home / ".databrickscfg").write_text(f"[{PROFILE}]\nhost = {server}\ntoken = {DUMMY_TOKEN}\n")
    return home


def terminal(home):
    """A learner's terminal: that home, no DATABRICKS_* or MLFLOW_* variable."""
    env = learner_environment(HOME=str(home))
    return {name: value for name, value in env.items() if not name.startswith("DATABRICKS_")}


def shell_section(name, **values):
    """A section of the page's bash commands, its <placeholders> replaced."""
    code = section(f"{SCRIPT}:{name}")
    for placeholder, value in values.items():
        code = code.replace(f"<{placeholder}>", value)
    return code


def run_bash(code, folder, env, stdin=None, timeout=600):
    return subprocess.run(
        ["bash", "-c", code],
        cwd=folder,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def no_databricks_variables(monkeypatch):
    """This process without the variables that name a workspace, a profile or a token."""
    for name in ["MLFLOW_TRACKING_URI", *DATABRICKS_VARIABLES]:
        monkeypatch.delenv(name, raising=False)


def test_the_profile_option_tracks_the_sweep_into_the_workspace(
    databricks_server, workdir, monkeypatch, no_databricks_variables, split, capsys
):
    monkeypatch.setenv("HOME", str(logged_in_home(workdir, databricks_server)))
    # The page's command line, with the learner's profile and e-mail, run in this process.
    line = shell_section("run_profile", profil=PROFILE, **{"votre e-mail": "option@example.com"})
    python, dash_m, module, *arguments = shlex.split(line)
    assert [python, dash_m, module] == ["python", "-m", "snippets.databricks_tracking"]
    databricks_tracking.main(arguments)
    path = "/Users/option@example.com/svm-cancer-du-sein"
    out = capsys.readouterr().out
    assert f"URI de suivi : databricks://{PROFILE}" in out
    assert f"Expérience : {path}" in out
    assert_sweep_and_model_in(databricks_server, path, split)
    assert [item.name for item in workdir.iterdir()] == ["home"]  # no local store


def test_the_profile_variable_of_the_terminal_tracks_the_sweep(databricks_server, tmp_path, split):
    home, folder = logged_in_home(tmp_path, databricks_server), tmp_path / "work"
    folder.mkdir()
    email = {"votre e-mail": "variable@example.com"}
    code = shell_section("profile_env", profil=PROFILE) + "\n" + shell_section("run", **email)
    result = run_bash(code, folder, terminal(home))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "URI de suivi : databricks\n" in result.stdout  # the SDK reads the variable
    path = "/Users/variable@example.com/svm-cancer-du-sein"
    assert_sweep_and_model_in(databricks_server, path, split)
    assert list(folder.iterdir()) == []
    # « Vérifiez votre travail », as the page gives it: the workspace read back, nothing written.
    client = MlflowClient(databricks_server)

    def workspace():
        found = client.search_experiments()
        runs = client.search_runs([e.experiment_id for e in found], max_results=5000)
        return [(e.name, e.last_update_time) for e in found], [
            (r.info.run_id, r.info.status, r.info.end_time, r.data.metrics) for r in runs
        ]

    before = workspace()
    check = run_bash(shell_section("verify", profil=PROFILE, **email), folder, terminal(home))
    assert check.returncode == 0, check.stdout + check.stderr[-3000:]
    lines = [line for line in check.stdout.splitlines() if not line.startswith(" ")]
    assert [line.split()[0] for line in lines[1:-1]] == ["fait", "fait"]
    assert workspace() == before
    assert list(folder.iterdir()) == []


def test_page_blocks_run_in_order_with_the_profile_in_the_tracking_uri(
    databricks_server, tmp_path, split
):
    # The learner sets the URI in their terminal, starts Python there and pastes the blocks.
    home, folder = logged_in_home(tmp_path, databricks_server), tmp_path / "work"
    folder.mkdir()
    blocks = "\n\n".join(python_blocks(ROOT / "docs" / "databricks-tracking.md"))
    export = shell_section("uri_env", profil=PROFILE)
    result = run_bash(f"{export}\npython -", folder, terminal(home), stdin=blocks)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"URI de suivi : databricks://{PROFILE}" in result.stdout
    assert_sweep_and_model_in(databricks_server, "/Shared/svm-cancer-du-sein", split)
    assert list(folder.iterdir()) == []


@pytest.mark.slow  # a command in a subprocess
def test_without_a_profile_named_it_stops_quickly_naming_the_profiles_found(tmp_path):
    host = f"https://{PROFILE}.cloud.databricks.com"  # never reached: no profile is read
    home, folder = logged_in_home(tmp_path, host), tmp_path / "work"
    folder.mkdir()
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "snippets.databricks_tracking"],
        cwd=folder,
        env=terminal(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Aucun profil choisi, et aucun profil DEFAULT." in result.stderr
    assert f"Profils trouvés : {PROFILE}." in result.stderr
    for way in [
        f"--profile {PROFILE}",
        f"DATABRICKS_CONFIG_PROFILE, qui vaut {PROFILE}",
        f"databricks://{PROFILE}",
    ]:
        assert way in result.stderr, way
    assert "Traceback" not in result.stderr
    assert elapsed < 30, elapsed
    assert list(folder.iterdir()) == []  # no store, no run


def stop_message(tracking_uri):
    with pytest.raises(SystemExit) as stop:
        databricks_tracking.require_databricks_credentials(tracking_uri)
    return str(stop.value)


def test_without_any_profile_it_explains_how_to_log_in(
    tmp_path, monkeypatch, no_databricks_variables
):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg
    message = stop_message(databricks_tracking.databricks_tracking_uri())
    assert message == databricks_tracking.LOGIN_HELP
    assert message.startswith("Aucun identifiant Databricks trouvé")
    assert 'databricks auth login --host "https://<votre-espace>' in message
    assert "DATABRICKS_HOST et DATABRICKS_TOKEN" in message
    assert "mlflow.login()" in message


def test_a_profile_missing_from_the_file_named_by_the_variable_is_reported(
    tmp_path, monkeypatch, no_databricks_variables
):
    # DATABRICKS_CONFIG_FILE moves the file, for the SDK and for the message alike.
    monkeypatch.setenv("HOME", str(tmp_path))
    config = tmp_path / "profils.cfg"
    config.write_text(f"[{PROFILE}]\nhost = https://{PROFILE}.cloud.databricks.com\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    message = stop_message(databricks_tracking.databricks_tracking_uri("inconnu"))
    assert message.startswith(f"Le profil inconnu est introuvable. Profils trouvés : {PROFILE}.")


def test_a_profile_that_no_longer_logs_in_is_named_with_the_command_to_log_in_again(
    databricks_server, tmp_path, monkeypatch, no_databricks_variables
):
    # A profile with its host but no token, as an expired `databricks auth login` leaves it.
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".databrickscfg").write_text(f"[{PROFILE}]\nhost = {databricks_server}\n")
    message = stop_message(databricks_tracking.databricks_tracking_uri(PROFILE))
    assert message.startswith(f"Le profil {PROFILE} ne permet pas de se connecter : ")
    assert message.endswith(f"Reconnectez-vous : databricks auth login --profile {PROFILE}")


def test_the_tracking_uri_follows_the_profile_then_the_environment(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = databricks_tracking.databricks_tracking_uri
    assert uri() == "databricks"
    assert uri(PROFILE) == f"databricks://{PROFILE}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "databricks://autre")
    assert (uri(), uri(PROFILE)) == ("databricks://autre", f"databricks://{PROFILE}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")  # not a workspace
    assert uri() == "databricks"


def test_the_token_lines_read_the_token_and_export_it(tmp_path):
    # The page's bash lines for the token: read from the input, exported to the commands.
    code = shell_section("token_env", **{"votre-espace": PROFILE})
    code += "\npython -c \"import os; print(os.environ['DATABRICKS_TOKEN'])\""
    result = run_bash(code, tmp_path, terminal(tmp_path), stdin=f"{DUMMY_TOKEN}\n", timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{DUMMY_TOKEN}\n"
