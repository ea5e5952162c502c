"""`python -m snippets.teacher.leaderboard`: the teacher's ranking of the class, read from a real
server with accounts (the page's own basic_auth.ini), and nothing ever written.

The class is planted here through MLflow's API with metric values chosen here, and the
expected ranking is written out by hand from them, never computed by the code under test: a
tie inside an experiment (first started wins), a tie between two experiments (same rank,
then the next rank skips), a run missing a metric, runs that did not finish, and learners
without a ranked run."""

import hashlib
import json
import math
import re
import secrets
import sys
import time
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import helpers
import pytest
from helpers import ROOT, course_command, generated_step
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, ViewType

from snippets.teacher import leaderboard
from tooling.servers.processes import free_port, learner_environment, started

PREFIX = "svm-cancer-du-sein-"
ADMIN_PASSWORD = "mot-de-passe-de-l-administrateur"
START = 1_700_000_000_000  # ms: the planted runs' start times are START + offset seconds
# learner: [(run name, status, start offset in s, C, gamma, metrics)], in creation order.
CLASS = {
    "alice": [
        ("a-precise", "FINISHED", 0, "1.0", "0.01", {"sensitivity": 0.95, "specificity": 0.97}),
        # The same balanced accuracy (0.96), a higher sensitivity: her best.
        ("a-sensible", "FINISHED", 1, "10.0", "0.01", {"sensitivity": 0.98, "specificity": 0.94}),
        ("a-sans-specificite", "FINISHED", 2, "100.0", "0.1", {"sensitivity": 1.0}),  # ignored
    ],
    "bob": [
        # Alice's best score, twice: created first but started later...
        ("b-tardif", "FINISHED", 20, "10.0", "scale", {"sensitivity": 0.98, "specificity": 0.94}),
        # ...so this one, started first, is his best; Bob and Alice share rank 1.
        ("b-premier", "FINISHED", 10, "1.0", "scale", {"sensitivity": 0.98, "specificity": 0.94}),
        ("b-moyen", "FINISHED", 5, "0.1", "scale", {"sensitivity": 0.90, "specificity": 0.90}),
    ],
    "chloe": [
        ("c-echec", "FAILED", 0, "100.0", "0.001", {"sensitivity": 1.0, "specificity": 1.0}),
        ("c-meilleur", "FINISHED", 1, "0.1", "0.1", {"sensitivity": 0.90, "specificity": 0.99}),
    ],
    "david": [  # no finished run: not ranked, said after the table
        ("d-en-cours", "RUNNING", 0, "1.0", "scale", {"sensitivity": 1.0, "specificity": 1.0}),
        ("d-echec", "FAILED", 1, "1.0", "0.01", {"sensitivity": 1.0, "specificity": 1.0}),
    ],
    "emma": [  # a finished run without the two metrics: not ranked either
        ("e-premier-run", "FINISHED", 0, "1.0", "scale", {"accuracy": 0.97}),
    ],
}
OTHER = "autre-cours"  # outside the prefix, with a perfect finished run
OTHER_RUNS = [("o-parfait", "FINISHED", 0, "1.0", "0.1", {"sensitivity": 1.0, "specificity": 1.0})]
# (rank, learner, run name, C, gamma, sensitivity, specificity), by hand from CLASS.
EXPECTED = [
    (1, "alice", "a-sensible", "10.0", "0.01", 0.98, 0.94),
    (1, "bob", "b-premier", "1.0", "scale", 0.98, 0.94),
    (3, "chloe", "c-meilleur", "0.1", "0.1", 0.90, 0.99),
]
UNRANKED = {
    "david": "aucun run terminé (1 FAILED, 1 RUNNING)",
    "emma": "aucun run terminé avec sensibilité et spécificité (1 run terminé sans elles)",
}


def plant(client, name, runs):
    experiment_id = client.create_experiment(name)
    for run_name, status, offset, C, gamma, metrics in runs:
        start = START + offset * 1000
        run = client.create_run(experiment_id, start_time=start, run_name=run_name)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(key, value, start, 0) for key, value in metrics.items()],
            params=[Param("C", C), Param("gamma", gamma)],
        )
        if status != "RUNNING":
            client.set_terminated(run.info.run_id, status, end_time=start + 500)


def plant_class(client, prefix=PREFIX, other=True):
    for learner, runs in CLASS.items():
        plant(client, f"{prefix}{learner}", runs)
    if other:
        plant(client, OTHER, OTHER_RUNS)


def mlflow_command():
    return str(Path(sys.executable).parent / "mlflow")


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """A real `mlflow server --app-name basic-auth` on SQLite, configured by the page's
    basic_auth.ini, holding the planted class; the teacher is its administrator."""
    folder = tmp_path_factory.mktemp("class-server")
    config = (ROOT / "snippets" / "shared_server.ini").read_text()
    (folder / "basic_auth.ini").write_text(config.replace("/srv/mlflow/", f"{folder}/"))
    port = free_port()
    command = [
        mlflow_command(), "server", "--app-name", "basic-auth",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
    ]  # fmt: skip
    env = learner_environment(
        MLFLOW_AUTH_CONFIG_PATH=str(folder / "basic_auth.ini"),
        MLFLOW_AUTH_ADMIN_PASSWORD=ADMIN_PASSWORD,
        MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(32),
    )
    url = f"http://127.0.0.1:{port}"
    with started(command, f"{url}/health", folder, env=env, log=folder / "server.log"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
            patch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
            plant_class(MlflowClient(url))
        yield url


@pytest.fixture
def teacher(class_server, monkeypatch):
    """The server, read with the administrator's account given through MLflow's variables."""
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
    return class_server


def run_main(*args):
    """The command's main() in this process: (exit code, out, err)."""
    return helpers.run_main(leaderboard.main, *args)


def ranking_json(uri, *args):
    code, out, err = run_main("--tracking-uri", uri, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def server_state(uri):
    """Every experiment and run of the server, deleted ones included, as they stand."""
    client = MlflowClient(uri)
    state = {}
    for experiment in client.search_experiments(view_type=ViewType.ALL):
        runs = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)
        state[experiment.name] = (
            experiment.lifecycle_stage,
            experiment.last_update_time,
            sorted((r.info.run_id, r.info.status, r.info.end_time) for r in runs),
        )
    return state


def snapshot(folder):
    """Every file under folder, with its bytes and modification time."""
    return {
        str(path.relative_to(folder)): (hashlib.sha256(path.read_bytes()).hexdigest(),
                                        path.stat().st_mtime_ns)
        for path in sorted(Path(folder).rglob("*")) if path.is_file()
    }  # fmt: skip


def assert_ranking(ranking, expected, prefix=PREFIX):
    got = [
        (row["rank"], row["experiment"], row["run_name"], row["C"], row["gamma"]) for row in ranking
    ]
    assert got == [(rank, f"{prefix}{who}", run, C, g) for rank, who, run, C, g, *_ in expected]
    for row, (*_, sensitivity, specificity) in zip(ranking, expected, strict=True):
        assert row["sensitivity"] == pytest.approx(sensitivity, abs=1e-12)
        assert row["specificity"] == pytest.approx(specificity, abs=1e-12)
        assert row["balanced_accuracy"] == pytest.approx((sensitivity + specificity) / 2)


@pytest.mark.slow
def test_the_class_is_ranked_by_the_course_criterion_and_nothing_is_written(teacher):
    before = server_state(teacher)
    result = ranking_json(teacher, "--prefix", PREFIX)
    assert_ranking(result["ranking"], EXPECTED)
    unranked = {row["experiment"]: row["reason"] for row in result["unranked"]}
    assert unranked == {f"{PREFIX}{who}": reason for who, reason in UNRANKED.items()}
    assert result["prefix"] == PREFIX and result["tracking_uri"] == teacher
    assert server_state(teacher) == before


@pytest.mark.slow
def test_the_best_run_is_the_one_select_best_run_would_choose(teacher):
    """The course's stated criterion, select_best_run of the sweep page, picks the same score
    in each learner's finished runs (it breaks ties by the order it is given)."""
    import mlflow

    from snippets.sweep import select_best_run

    ranking = ranking_json(teacher, "--prefix", PREFIX)["ranking"]
    mlflow.set_tracking_uri(teacher)
    try:
        for row in ranking:
            runs = mlflow.search_runs(
                experiment_names=[row["experiment"]],
                filter_string="attributes.status = 'FINISHED'",
            ).dropna(subset=["metrics.sensitivity", "metrics.specificity"])
            best = select_best_run(runs)
            assert best["metrics.sensitivity"] == row["sensitivity"]
            assert best["metrics.specificity"] == row["specificity"]
    finally:
        mlflow.set_tracking_uri(None)


@pytest.mark.slow
def test_the_teacher_reads_the_table_from_the_command(teacher, tmp_path):
    result = course_command(
        "teacher.leaderboard", "--prefix", PREFIX, folder=tmp_path, timeout=120,
        MLFLOW_TRACKING_URI=teacher, MLFLOW_TRACKING_USERNAME="admin",
        MLFLOW_TRACKING_PASSWORD=ADMIN_PASSWORD,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Magasin de suivi : {teacher}"
    assert lines[1] == f"Expériences dont le nom commence par « {PREFIX} » : 5, dont 3 classées."
    header = next(i for i, line in enumerate(lines) if line.startswith("rang "))
    columns = lines[header].split()
    assert columns == ["rang", "expérience", "run", "C", "gamma", "sensibilité", "spécificité",
                       "exactitude", "équilibrée"]  # fmt: skip
    rows = [line.split() for line in lines[header + 1 : header + 1 + len(EXPECTED)]]
    assert rows == [
        [str(rank), f"{PREFIX}{who}", run, C, gamma, f"{sensitivity:.4f}", f"{specificity:.4f}",
         f"{(sensitivity + specificity) / 2:.4f}"]
        for rank, who, run, C, gamma, sensitivity, specificity in EXPECTED
    ]  # fmt: skip
    # Ranks are right-aligned under their title, names left-aligned.
    assert len({line.index(f"{PREFIX}") for line in lines[header + 1 : header + 4]}) == 1
    unranked = lines[lines.index("Sans rang :") + 1 :]
    assert unranked == [f"  {PREFIX}{who} : {reason}" for who, reason in UNRANKED.items()]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_without_a_prefix_every_experiment_with_a_finished_run_is_ranked(teacher):
    result = ranking_json(teacher)
    assert [(row["rank"], row["experiment"]) for row in result["ranking"]] == [
        (1, OTHER),
        (2, f"{PREFIX}alice"),
        (2, f"{PREFIX}bob"),
        (4, f"{PREFIX}chloe"),
    ]
    # David has no finished run, and Default no run at all: neither is a learner's experiment.
    assert [row["experiment"] for row in result["unranked"]] == [f"{PREFIX}emma"]


@pytest.mark.slow
def test_a_longer_prefix_keeps_one_learner_and_an_unknown_one_lists_the_experiments(teacher):
    assert_ranking(ranking_json(teacher, "--prefix", f"{PREFIX}b")["ranking"],
                   [(1, *EXPECTED[1][1:])])  # fmt: skip
    code, out, _ = run_main("--tracking-uri", teacher, "--prefix", "svm-cancer-du-sien-")
    assert code == 0
    assert "Aucune expérience ne commence par « svm-cancer-du-sien- »." in out
    assert f"{PREFIX}alice" in out and OTHER in out


@pytest.mark.slow
def test_without_an_account_the_server_refuses_and_the_message_says_what_to_set(
    class_server, monkeypatch
):
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    code, out, err = run_main("--tracking-uri", class_server)
    assert code == 1 and out == ""
    assert "demande un compte" in err and "MLFLOW_TRACKING_USERNAME" in err, err
    assert "Traceback" not in err


@pytest.mark.slow
def test_an_unreachable_server_is_said_in_french_within_seconds(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    started_at = time.monotonic()
    result = course_command(
        "teacher.leaderboard", folder=tmp_path, timeout=60, MLFLOW_TRACKING_URI=url
    )
    assert time.monotonic() - started_at < 30
    assert result.returncode == 1
    assert f"Le serveur de suivi {url} ne répond pas" in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_local_store_is_read_without_a_single_byte_written(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    plant_class(MlflowClient(uri), prefix="", other=False)
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    code, out, err = run_main("--json")
    assert code == 0, err
    assert_ranking(json.loads(out)["ranking"], EXPECTED, prefix="")
    assert snapshot(tmp_path) == before


def test_an_empty_folder_gets_a_french_message_and_stays_empty(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code, out, err = run_main()
    assert code == 1 and out == ""
    assert f"Aucun magasin de suivi ici : {tmp_path / 'mlflow.db'} n'existe pas" in err
    assert "MLFLOW_TRACKING_URI" in err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_value_is_refused_by_the_parser(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main("--prefix")
    assert code == 2
    assert "argument --prefix : une valeur est attendue" in err
    assert list(tmp_path.iterdir()) == []


def fake_run(run_id, start, status="FINISHED", **metrics):
    return SimpleNamespace(
        info=SimpleNamespace(run_id=run_id, run_name=run_id, start_time=start, status=status),
        data=SimpleNamespace(metrics=metrics, params={"C": "1.0", "gamma": "scale"}),
    )


def test_ties_share_a_rank_and_the_first_started_run_wins_inside_an_experiment():
    """The rules on plain objects, for the quick tier; the tests above hold them on a server."""
    runs = [
        fake_run("later", 2, sensitivity=0.5, specificity=0.7),
        fake_run("earlier", 1, sensitivity=0.5, specificity=0.7),
        fake_run("running", 0, status="RUNNING", sensitivity=1.0, specificity=1.0),
        fake_run("half", 0, sensitivity=1.0),
        fake_run("not-a-number", 0, sensitivity=math.nan, specificity=1.0),
    ]
    assert leaderboard.best_run(runs).info.run_id == "earlier"
    assert leaderboard.best_run(runs[2:]) is None
    experiments = {
        name: SimpleNamespace(name=name, experiment_id=name) for name in ("b", "a", "c", "d")
    }
    bests = [
        (experiments["b"], fake_run("b1", 0, sensitivity=0.9, specificity=0.8)),
        (experiments["a"], fake_run("a1", 0, sensitivity=0.9, specificity=0.8)),
        (experiments["c"], fake_run("c1", 0, sensitivity=0.8, specificity=0.9)),  # less sensitive
        (experiments["d"], fake_run("d1", 0, sensitivity=1.0, specificity=0.1)),
    ]
    entries = leaderboard.rank(bests)
    assert [(e.rank, e.experiment) for e in entries] == [(1, "a"), (1, "b"), (3, "c"), (4, "d")]


def test_a_database_password_is_not_printed():
    uri = "postgresql://mlflow:mot-de-passe-de-la-base@localhost:5432/mlflow"
    assert leaderboard.shown_uri(uri) == "postgresql://mlflow:***@localhost:5432/mlflow"
    assert leaderboard.shown_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_the_page_shows_the_real_leaderboard_of_the_build(site, monkeypatch):
    step = generated_step("leaderboard")
    shown = (step / "leaderboard.txt").read_text()
    html = (site / "shared-server" / "index.html").read_text()
    page = unescape(re.sub(r"<[^>]+>", "", html))  # the text a reader sees
    assert "python -m snippets.teacher.leaderboard --prefix svm-cancer-du-sein-" in page
    assert shown.strip() in page
    # The build's store, read again the same way: the same text, and not a byte written.
    folder = step / "cours-mlflow"
    before = snapshot(folder)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    code, out, _ = run_main("--prefix", "svm-cancer-du-sein-")
    assert code == 0 and out == shown
    assert snapshot(folder) == before
    rows = [line.split() for line in shown.splitlines() if line.startswith("   ")]
    assert [(row[0], row[1]) for row in rows] == [
        ("1", "svm-cancer-du-sein-alice"), ("1", "svm-cancer-du-sein-bob"),
        ("3", "svm-cancer-du-sein-chloe"),
    ]  # fmt: skip
