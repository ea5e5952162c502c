"""The course's commands against a tracking server that is not there: a French message within
30 seconds, instead of MLflow's four minutes of retries, and nothing written locally."""

import argparse
import contextlib
import io
import subprocess
import sys
import time
from unittest import mock

import pytest
from helpers import tracking_uri
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tooling.servers.processes import free_port, learner_environment


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
    message = explain(error, uri)  # the URI the command used, not MLflow's current one
    assert message.startswith(f"Le serveur de suivi {uri} ne répond pas.")
    assert fix in message
    assert message.endswith("Cause : [Errno 111] Connection refused")


# The environments learners really have, each with what the French message must name.
def bad_environments(folder):
    (folder / "un-fichier").write_text("")
    return {
        "sqlite-under-a-file": (f"sqlite:///{folder / 'un-fichier' / 'mlflow.db'}", "un-fichier"),
        "sqlite-at-a-folder": (f"sqlite:///{folder}", "pas un fichier de base"),
        "misspelt-scheme": ("htp://127.0.0.1:5000", "« htp: »"),
        "legacy-file-store": ("file:./mlruns", "mlflow migrate-filestore"),
        "database-down": (f"postgresql://u:p@127.0.0.1:{free_port()}/mlflow", "ne répond pas"),
        # The account command names the URI as not a server: accounts live on a server.
        "databricks-without-credentials": ("databricks", "databricks auth login|« databricks »"),
    }


@pytest.mark.parametrize(
    "name",
    ["sqlite-under-a-file", "sqlite-at-a-folder", "misspelt-scheme", "legacy-file-store",
     "database-down"],
)  # fmt: skip
def test_a_uri_that_cannot_work_is_named_in_seconds_and_nothing_is_created(tmp_path, name):
    from snippets.cli import store_problem

    uri, words = bad_environments(tmp_path)[name]
    before = sorted(tmp_path.rglob("*"))
    started = time.monotonic()
    problem = store_problem(uri)
    assert time.monotonic() - started < 6
    assert words in problem and "\n" in problem  # what is wrong, then the way out
    assert sorted(tmp_path.rglob("*")) == before


# Addresses MLflow itself would answer with a traceback (InvalidUrlException, SQLAlchemy's
# ArgumentError, « no netloc in URI »), some first found by Hypothesis.
MISWRITTEN = [
    "HTTP:",
    "POSTGRESQL:",
    "http:///x",
    "http://a:b",
    "http:// ",
    "http://.",
    "http://127.0.0.1:99999",
    "postgresql://:",
    "postgresql://",  # a local socket: MLflow would retry it two minutes, then a traceback
    "databricks://",
    "databricks:a",
]


@pytest.mark.parametrize("uri", MISWRITTEN)
def test_a_miswritten_address_is_named_before_mlflow_opens_it(uri):
    from snippets.cli import store_problem

    problem = store_problem(uri)
    assert problem is not None and f"« {uri} »" in problem, problem
    assert "Corrigez-la" in problem


def test_a_uri_that_can_work_is_let_through(tmp_path):
    import socket

    from snippets.cli import store_problem

    with socket.create_server(("127.0.0.1", 0)) as listening:  # a database that answers
        port = listening.getsockname()[1]
        for uri in [
            f"sqlite:///{tmp_path / 'nouveau' / 'mlflow.db'}",  # MLflow creates the folder
            "sqlite:///mlflow.db",
            "http://127.0.0.1:9",  # unreachable servers are fail_fast's and explain's job
            "https://mlflow.mon-ecole.fr",
            "databricks",
            "databricks://mon-profil",
            f"postgresql+psycopg://u:p@127.0.0.1:{port}/mlflow",
        ]:
            assert store_problem(uri) is None, uri


# Every command the course ships that uses the learner's store: (module, arguments). The
# benchmark measures in temporary stores of its own and leaves MLFLOW_TRACKING_URI alone.
COMMANDS = [
    ("train", []),
    ("sweep", []),
    ("diagnostic", []),
    ("databricks_tracking", []),
    ("shared_server", ["alice"]),
    ("verifier", []),
    ("teacher.leaderboard", []),
    ("teacher.class_load", ["--learners", "2"]),
]
DRIVER = """
import contextlib, io, json, runpy, sys, time, traceback
results = {}
for module, args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    sys.argv = [module, *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_module(f"snippets.{module}", run_name="__main__")
            code = 0
        except SystemExit as exit:  # sys.exit("message") prints it and exits with 1
            code = exit.code if isinstance(exit.code, int) else 1
            if isinstance(exit.code, str):
                print(exit.code, file=err)
        except BaseException:
            code, err = "traceback", io.StringIO(traceback.format_exc())
    results[module] = [code, out.getvalue(), err.getvalue(), time.monotonic() - started]
print(json.dumps(results))
"""


ENVIRONMENTS = ["sqlite-under-a-file", "sqlite-at-a-folder", "misspelt-scheme",
                "legacy-file-store", "database-down", "databricks-without-credentials"]  # fmt: skip


def answer(folder, name):
    """Every command run in one process, in folder, under the environment name: the words
    its messages must hold, the folder before, and what each command said."""
    import json

    work, home = folder / "travail", folder / "home"  # a home without .databrickscfg
    work.mkdir(parents=True)
    home.mkdir()
    uri, words = bad_environments(work)[name]
    before = sorted(work.rglob("*"))
    env = learner_environment(MLFLOW_TRACKING_URI=uri, HOME=str(home))
    env = {k: v for k, v in env.items() if not k.startswith("DATABRICKS_")}
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(COMMANDS)],
        cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return words, before, sorted(work.rglob("*")), json.loads(result.stdout)


@pytest.fixture(scope="module")
def answered(tmp_path_factory):
    """The six environments, two processes at a time (the machines have two cores)."""
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path_factory.mktemp("environnements")
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(answer, folder / name, name) for name in ENVIRONMENTS}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow  # one process per environment, every command in it
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_every_command_answers_a_bad_environment_in_french(answered, name):
    words, before, after, results = answered[name]
    for module, (code, out, err, seconds) in results.items():
        said = out + err
        assert code == 1, (module, code, said[-2000:])
        assert "Traceback" not in said, (module, said[-2000:])
        assert seconds < 30, (module, seconds)
        said = said.replace("\n     ", " ")  # the diagnostic wraps its lines
        assert any(word in said for word in words.split("|")), (module, said[-2000:])
    assert after == before  # no mlflow.db, no mlruns/, nothing


# Property-based tests: any arguments, any tracking URI.
WORDS = ["--C", "--gamma", "--kernel", "--page", "--json", "--quick", "--repeat", "--port"]
WORDS += ["--spark", "--profile", "--experiment", "--tracking-uri", "scale", "auto", "rbf"]
WORDS += ["inf", "-inf", "nan", "1e999", "-1", "0", "1", "1.0", "0.001", "sweep", "--", "-h"]
ARGUMENT = st.one_of(st.sampled_from(WORDS), st.text(max_size=10), st.floats().map(str))


def parsers():
    """Each command's parser, as the command calls it, without running the command."""
    from snippets import benchmark, databricks_tracking, diagnostic, shared_server, train, verifier

    def stops_after_parsing(main):
        def parse(argv):
            with mock.patch.object(argparse.ArgumentParser, "parse_args", autospec=True) as p:
                p.side_effect = ParsedOnly.raise_after
                main(argv)

        return parse

    from snippets import sweep
    from snippets.teacher import class_load, leaderboard

    return {
        "train": train.parse_args,
        "sweep": sweep.parse_args,
        "leaderboard": leaderboard.parse_args,
        "class_load": class_load.parse_args,
        "verifier": verifier.parse_args,
        "databricks_tracking": databricks_tracking.parse_args,
        "benchmark": stops_after_parsing(benchmark.main),
        "diagnostic": stops_after_parsing(diagnostic.main),
        "shared_server": stops_after_parsing(shared_server.main),
    }


class ParsedOnly(Exception):
    """Raised once the real parse_args has accepted the arguments."""

    original = argparse.ArgumentParser.parse_args

    @staticmethod
    def raise_after(parser, args=None, namespace=None):
        ParsedOnly.original(parser, args, namespace)
        raise ParsedOnly


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv=st.lists(ARGUMENT, max_size=6))
def test_any_arguments_are_accepted_or_refused_with_status_2_in_french(argv):
    for name, parse in parsers().items():
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                parse(argv)
            except ParsedOnly:
                continue
            except SystemExit as exit:
                assert exit.code in (0, 2), (name, argv, exit.code)
                if exit.code == 2:
                    assert err.getvalue().startswith("utilisation : "), (name, err.getvalue())
                    assert "Erreur : " in err.getvalue(), (name, err.getvalue())


@settings(max_examples=300, deadline=None)
@given(text=ARGUMENT)
def test_c_and_gamma_are_finite_and_strictly_positive_once_accepted(text):
    import math

    from snippets import train

    for option in ["--C", "--gamma"]:
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                value = getattr(train.parse_args([option, text]), option[2:])
        except SystemExit as exit:
            assert exit.code == 2
            continue
        assert value in ("scale", "auto") or (math.isfinite(value) and value > 0)


URIS = st.one_of(
    st.text(max_size=30),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["", "sqlite", "htp", "http", "file", "postgresql", "databricks"]),
        st.sampled_from(["", ":", "://", ":///"]),
        st.text(alphabet="abc/.:-_ ", max_size=20),
    ),
)


@settings(max_examples=300, deadline=None)
@given(uri=URIS)
def test_any_tracking_uri_gets_an_answer_without_an_exception(uri, tmp_path_factory):
    from snippets.cli import store_problem

    folder = tmp_path_factory.mktemp("uri")
    with contextlib.chdir(folder):
        problem = store_problem(uri, timeout=1)
    assert problem is None or ("\n" in problem and problem.startswith(("L'URI", "La base")))
    assert list(folder.iterdir()) == []  # nothing created, whatever the answer


@pytest.mark.slow  # each accepted setting trains a real SVM
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    C=st.floats(1e-3, 1e3),
    gamma=st.one_of(st.sampled_from(["scale", "auto"]), st.floats(1e-4, 10.0)),
    kernel=st.sampled_from(["rbf", "linear", "poly", "sigmoid"]),
)
def test_accepted_arguments_train_and_log_what_they_say(C, gamma, kernel, tmp_path_factory, split):
    from helpers import assert_metrics_equal, reference_run_metrics
    from mlflow import MlflowClient

    from snippets import train

    args = train.parse_args(["--C", repr(C), "--gamma", str(gamma), "--kernel", kernel])
    folder = tmp_path_factory.mktemp("train")
    with tracking_uri(f"sqlite:///{folder / 'mlflow.db'}"):
        train.setup_tracking(f"sqlite:///{folder / 'mlflow.db'}")
        run_id, _ = train.train_and_log(args.C, args.gamma, args.kernel, log_model=False)
    [run] = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}").search_runs(["1"])
    assert run.info.run_id == run_id and run.info.status == "FINISHED"
    assert run.data.params == {"C": repr(C), "gamma": str(gamma), "kernel": kernel}
    assert_metrics_equal(run.data.metrics, reference_run_metrics(split, C, args.gamma, kernel))


LEARNER_URIS = st.one_of(
    URIS,
    st.builds("sqlite:///{}/mlflow.db".format, st.text(alphabet="abc", min_size=1, max_size=3)),
    st.builds("http://127.0.0.1:{}".format, st.sampled_from([9, 1])),  # nothing listens
)


@pytest.mark.slow  # an accepted URI trains and logs a real model
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uri=LEARNER_URIS)
@example(uri="HTTP:")  # found by Hypothesis: a scheme and no server, once a traceback
@example(uri="POSTGRESQL:")
def test_any_tracking_uri_ends_in_0_1_or_2_and_leaves_only_finished_runs(uri, tmp_path_factory):
    import mlflow
    from mlflow import MlflowClient

    from snippets import tracking, train
    from snippets.cli import run_command

    assume("\x00" not in uri)  # an environment variable cannot hold a null byte
    folder = tmp_path_factory.mktemp("uri")
    err = io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as patched, contextlib.chdir(folder):
            patched.setenv("MLFLOW_TRACKING_URI", uri)
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                with pytest.raises(SystemExit) as exit_info:
                    run_command(lambda: sys.exit(train.main([])))
    finally:
        # run_command made the commands follow uri: back to the course default.
        tracking.follow(tracking.COURSE_TRACKING_URI, tracking.COURSE_EXPERIMENT)
        while mlflow.active_run():
            mlflow.end_run()
        mlflow.set_tracking_uri(None)
    code = exit_info.value.code or 0  # sys.exit(None): success
    assert code in (0, 1, 2), (uri, err.getvalue())
    assert code == 0 or err.getvalue().startswith("Erreur : "), err.getvalue()
    for store in folder.rglob("mlflow.db"):
        client = MlflowClient(f"sqlite:///{store}")
        runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
        assert {run.info.status for run in runs} <= {"FINISHED"}, uri


@pytest.mark.slow  # a real training, in a subprocess
def test_python_m_first_run_follows_the_environment_of_a_shared_server(tmp_path):
    from helpers import course_command
    from mlflow import MlflowClient

    shared = f"sqlite:///{tmp_path / 'partage.db'}"
    result = course_command(
        "first_run", folder=tmp_path, timeout=120,
        MLFLOW_TRACKING_URI=shared, MLFLOW_EXPERIMENT_NAME="svm-alice",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"URI de suivi : {shared}" in result.stdout
    experiment = MlflowClient(shared).get_experiment_by_name("svm-alice")
    [run] = MlflowClient(shared).search_runs([experiment.experiment_id])
    assert run.info.run_name == "premier-run" and run.info.status == "FINISHED"
    assert not (tmp_path / "mlflow.db").exists()  # the page's own store is left alone


def test_a_server_lost_mid_command_is_named_by_the_option_that_gave_it(tmp_path, monkeypatch):
    """A teacher's command given --tracking-uri, whose server stops answering once it runs:
    the message names that server, not mlflow.db of the current folder."""
    from mlflow import MlflowClient

    from snippets import tracking
    from snippets.cli import run_command

    server = f"http://127.0.0.1:{free_port()}"  # nothing listens there any more
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    started = time.monotonic()
    try:
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_info:
            run_command(
                lambda: MlflowClient(server).search_experiments(),
                tracking_uri=server,
                check_store=False,  # the server answered when the command started
            )
    finally:
        tracking.follow(tracking.COURSE_TRACKING_URI, tracking.COURSE_EXPERIMENT)
    assert exit_info.value.code == 1
    assert time.monotonic() - started < 30
    message = err.getvalue()
    assert message.startswith(f"Erreur : Le serveur de suivi {server} ne répond pas."), message
    assert "mlflow.db du dossier courant :" in message and "sqlite" not in message
    assert list(tmp_path.iterdir()) == []
