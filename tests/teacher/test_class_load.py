"""`python -m snippets.teacher.class_load`: a small class sweeps at once on the page's real server
(PostgreSQL, accounts), and what the server recorded is read back here, as the administrator,
through MLflow's API; the counting itself is checked on a store planted here, where what is
lost and duplicated is known by construction."""

import json
import re
import shlex
import statistics
import subprocess
import sys
import time
from itertools import product

import pytest
from helpers import ROOT, run_main, snapshot
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.server import get_app_client

from snippets.teacher import class_load
from tooling.servers.processes import free_port, learner_environment

LEARNERS = 3
C_VALUES = [0.01, 0.1, 1.0, 10.0, 100.0]  # the course's grid, as its page states it
GAMMA_VALUES = [0.001, 0.01, 0.1, 1.0]


def command(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "snippets.teacher.class_load", *args], cwd=cwd,
        env=env or learner_environment(), capture_output=True, text=True, timeout=900,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def small_class(shared_server, tmp_path_factory):
    """Three learners, each with an account the load test creates; kept (--keep) to be read."""
    folder = tmp_path_factory.mktemp("enseignant")
    before = snapshot(folder)
    env = learner_environment(
        MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=shared_server.admin_password
    )
    started = time.monotonic()
    result = command(
        "--tracking-uri", shared_server.uri, "--learners", str(LEARNERS), "--keep", "--json",
        env=env, cwd=folder,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert snapshot(folder) == before  # nothing written where the teacher runs it
    return json.loads(result.stdout), seconds


@pytest.fixture
def admin(shared_server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", shared_server.admin_password)
    return MlflowClient(shared_server.uri)


def test_a_small_class_is_recorded_once_and_counted_right(small_class, admin):
    said, seconds = small_class
    names = said["experiments"]
    assert len(names) == LEARNERS == said["learners"] and said["accounts"] is True
    settings = {(str(C), str(g)) for C, g in product(C_VALUES, GAMMA_VALUES)}
    durations = []
    recorded = 0
    for name in names:
        experiment = admin.get_experiment_by_name(name)
        assert experiment.lifecycle_stage == "active"  # kept
        runs = admin.search_runs([experiment.experiment_id], max_results=100)
        recorded += len(runs)
        assert {run.info.status for run in runs} == {"FINISHED"}
        sweep = [run for run in runs if run.data.tags.get("sweep") == "C-gamma"]
        assert sorted((r.data.params["C"], r.data.params["gamma"]) for r in sweep) == sorted(
            settings
        )  # each of the 20 settings exactly once
        [best] = [run for run in runs if run not in sweep]
        assert best.info.run_name == "meilleur-reglage"
        assert admin.search_logged_models([experiment.experiment_id])  # the model, too
        durations += [(r.info.end_time - r.info.start_time) / 1000 for r in sweep]
    assert recorded == 21 * LEARNERS
    assert said["runs_expected"] == said["runs_recorded"] == recorded
    assert said["runs_lost"] == said["runs_duplicated"] == said["runs_unfinished"] == 0
    assert said["failed_learners"] == [] and said["failed_requests"] == 0
    assert said["run_seconds_median"] == pytest.approx(statistics.median(durations))
    assert min(durations) <= said["run_seconds_p95"] <= max(durations)
    assert sorted(durations)[int(0.9 * len(durations))] <= said["run_seconds_p95"]
    assert 0 < said["total_seconds"] <= seconds


def test_each_learner_used_an_account_of_their_own_and_clean_up_removes_them(
    small_class, admin, shared_server
):
    said, _ = small_class
    auth = get_app_client("basic-auth", tracking_uri=shared_server.uri)
    experiments = [admin.get_experiment_by_name(name) for name in said["experiments"]]
    for name, experiment in zip(said["experiments"], experiments, strict=True):
        # Whoever creates an experiment gets MANAGE on it: here, the learner's own account.
        def permission(user, experiment=experiment):
            return auth.get_user_permission(user, "experiment", experiment.experiment_id)

        assert permission(name).permission == "MANAGE"
        others = [other for other in said["experiments"] if other != name]
        assert {permission(other).permission for other in others} == {"READ"}
        assert not auth.get_user(name).is_admin

    class_load.clean_up(shared_server.uri, said["experiments"], accounts=True)
    for name, experiment in zip(said["experiments"], experiments, strict=True):
        assert admin.get_experiment(experiment.experiment_id).lifecycle_stage == "deleted"
        with pytest.raises(MlflowException, match="not found|RESOURCE_DOES_NOT_EXIST"):
            auth.get_user(name)


def plant(client, name, settings, extra=()):
    """An experiment with one finished sweep run per setting, the best model's run, and
    extra runs: (status, key) with key a setting or "meilleur-reglage"."""
    experiment_id = client.create_experiment(name)
    for status, key in [*(("FINISHED", s) for s in settings), ("FINISHED", "best"), *extra]:
        if key == "best":
            run = client.create_run(experiment_id, run_name="meilleur-reglage")
        else:
            run = client.create_run(experiment_id, tags={"sweep": "C-gamma"})
            client.log_param(run.info.run_id, "C", key[0])
            client.log_param(run.info.run_id, "gamma", key[1])
        if status != "RUNNING":
            client.set_terminated(run.info.run_id, status=status)


def test_lost_duplicated_and_unfinished_runs_are_counted(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    grid = [(str(C), str(g)) for C, g in product(C_VALUES, GAMMA_VALUES)]
    plant(client, "complet", grid)
    # Two settings never recorded, one twice, one only FAILED, one extra RUNNING model run.
    plant(
        client, "abime", grid[2:-1],
        extra=[("FINISHED", grid[5]), ("FAILED", grid[-1]), ("RUNNING", "best")],
    )  # fmt: skip
    counted = class_load.tally(client, ["complet", "abime", "jamais-cree"])
    assert counted.learners == 3
    assert counted.expected == 3 * 21
    assert counted.recorded == 21 + (17 + 1) + 3
    assert counted.lost == 0 + 3 + 21  # grid[0], grid[1] and grid[-1]; all of the absent one
    assert counted.duplicated == 2  # grid[5] again, the model's run again
    assert counted.unfinished == 2
    assert len(counted.run_seconds) == 20 + 18  # the finished sweep runs
    assert len(counted.model_run_seconds) == 2


def test_a_server_that_is_down_is_said_in_seconds_and_nothing_is_created(tmp_path):
    before = snapshot(tmp_path)
    started = time.monotonic()
    uri = f"http://127.0.0.1:{free_port()}"
    code, _, err = run_main(class_load.main, "--tracking-uri", uri, folder=tmp_path)
    assert time.monotonic() - started < 10
    assert code == 1
    assert "ne répond pas" in err and "section 4" in err
    assert snapshot(tmp_path) == before


def test_the_load_test_is_for_a_server_and_says_so(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    code, _, err = run_main(class_load.main, "--tracking-uri", uri, folder=tmp_path)
    assert code == 1
    assert "serveur de suivi" in err and "--tracking-uri http://" in err
    assert not (tmp_path / "mlflow.db").exists()


def test_a_wrong_administrator_password_is_said_in_french(shared_server, tmp_path):
    env = learner_environment(MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD="faux")
    result = command("--tracking-uri", shared_server.uri, "--learners", "1", env=env)
    assert result.returncode == 1
    assert "refuse le compte « admin »" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


RECORDED = ROOT / "measurements" / "class_load.txt"


def recorded():
    """measurements/class_load.txt: {server: {field: value}}, from its name.field=value lines."""
    values = {}
    for name, key, value in re.findall(r"^(\w+)\.(\w+)=(\S+)$", RECORDED.read_text(), re.M):
        values.setdefault(name, {})[key] = float(value)
    return values


def duration(seconds):
    """As the page writes a duration: « 3,0 s », « 4 min 39 s »."""
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".", ",")
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def test_the_page_shows_the_recorded_table_whole():
    page = (ROOT / "docs" / "shared-server.md").read_text()
    assert '--8<-- "measurements/class_load.txt:1:10"' in page
    lines = RECORDED.read_text().splitlines()
    assert lines[0].startswith("Essai de charge : 30 apprenants") and "2 cœurs" in lines[1]
    assert lines[9].startswith("PostgreSQL, 4 workers, sans cache") and lines[10] == ""


def test_the_sizing_advice_follows_from_the_recorded_class():
    m = recorded()
    page = " ".join((ROOT / "docs" / "shared-server.md").read_text().split())
    assert set(m) == {"page", "sqlite", "one_worker", "no_cache"}
    # « Rien de perdu ni de doublé, dans les quatre cas : 630 runs attendus, 630 enregistrés »
    for values in m.values():
        assert values["runs_expected"] == values["runs_recorded"] == 630
        assert values["runs_lost"] == values["runs_duplicated"] == 0
        assert values["failed_requests"] == values["failed_learners"] == 0
    page_run, page_total = m["page"]["run_seconds_median"], m["page"]["total_seconds"]
    # « Sans lui, chaque run prend plus de dix fois plus de temps, et la classe entière … »
    assert m["no_cache"]["run_seconds_median"] > 10 * page_run
    said = f"{duration(m['no_cache']['total_seconds'])} au lieu de {duration(page_total)}"
    assert said in page
    # « Avec un seul, chaque run prend un peu plus de temps (médiane de 3,5 s au lieu de 3,0 s) »
    one = m["one_worker"]
    assert page_run < one["run_seconds_median"] < 1.5 * page_run
    said = f"{duration(one['run_seconds_median'])} au lieu de {duration(page_run)}"
    assert said in page
    said = f"{duration(one['total_seconds'])} au lieu de {duration(page_total)}"
    assert said in page
    # « SQLite a tenu la classe, en autant de temps que PostgreSQL »
    assert abs(m["sqlite"]["total_seconds"] / page_total - 1) < 0.05
    # « avec ou sans PostgreSQL, avec un ou quatre workers, presque le même temps »
    totals = [m[name]["total_seconds"] for name in ("page", "sqlite", "one_worker")]
    assert max(totals) / min(totals) < 1.1


def test_the_page_command_is_the_load_test_for_thirty_learners():
    page = (ROOT / "docs" / "shared-server.md").read_text()
    [line] = [line for line in page.splitlines() if "python -m snippets.teacher.class_load" in line]
    args = class_load.parse_args(shlex.split(line)[3:])
    assert args.learners == 30 and args.tracking_uri == "http://mlflow.mon-ecole.fr:5000"
    assert not args.keep and not args.json
