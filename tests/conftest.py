"""Shared fixtures: a private tracking store per test, the course's split rebuilt, the built
site, and real servers (MLflow, PostgreSQL) on 127.0.0.1.

Tests that use the built site, a server or a browser are marked `slow`: the quick tier,
`python -m pytest -m "not slow"`, leaves them out."""

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from helpers import build_site  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.first_run  # noqa: E402
from tooling.processes import free_port, mlflow_server, stop  # noqa: E402

SLOW_FIXTURES = {"site", "databricks_server", "postgresql", "shared_server", "tour", "visits"}
SLOW_FIXTURES |= {"alone"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working directory whose store the course's code will use (created on first use)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.setattr(snippets.first_run, "TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    yield tmp_path
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


@pytest.fixture
def tracking_store(workdir):
    """A client on the working directory's SQLite store, to read back what the code recorded."""
    return MlflowClient(snippets.first_run.TRACKING_URI)


@pytest.fixture(scope="session")
def split():
    """The course's split, rebuilt from its description: 25 % test, stratified, seed 42."""
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    return train_test_split(features, target, test_size=0.25, stratify=target, random_state=42)


@pytest.fixture
def sweep_rows():
    """Rows shaped like mlflow.search_runs: parameters as text, metrics as numbers."""
    rng = np.random.default_rng(0)
    rows = []
    for C in ["0.1", "1.0", "10.0"]:
        for gamma in ["0.01", "1.0"]:
            values = rng.uniform(0, 1, 3)
            rows.append(
                {
                    "params.C": C,
                    "params.gamma": gamma,
                    "metrics.accuracy": values[0],
                    "metrics.sensitivity": values[1],
                    "metrics.specificity": values[2],
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def databricks_server(tmp_path_factory):
    """A real MLflow tracking server standing in for a Databricks workspace: the same REST API.

    The client writes artifacts straight into the server's artifact root (--no-serve-artifacts),
    as the `databricks` tracking URI expects of a workspace's storage.
    """
    folder = tmp_path_factory.mktemp("workspace")
    options = ["--default-artifact-root", str(folder / "artifacts"), "--no-serve-artifacts"]
    with mlflow_server(folder, *options) as url:
        yield url


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once for the session with `mkdocs build --strict`: no warning allowed."""
    site_dir = tmp_path_factory.mktemp("site")
    result = build_site(site_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not re.search(r"^(WARNING|ERROR)\s+-", result.stderr, re.M), result.stderr
    return site_dir


POSTGRESQL_HELP = (
    "PostgreSQL est introuvable (/usr/lib/postgresql/*/bin/postgres) : "
    "sudo apt-get install postgresql"
)


@pytest.fixture(scope="session")
def postgresql():
    """A real PostgreSQL server of the system's packages, in a fresh data folder, on 127.0.0.1.

    Yields (port, psql command as the superuser). Password authentication over TCP, as on a
    real server; the superuser connects through the folder's Unix socket.
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(POSTGRESQL_HELP)
        pytest.skip(POSTGRESQL_HELP)
    bin_dir = Path(found[-1]).parent
    # PostgreSQL refuses to run as root: as root, its files and process belong to "postgres".
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="postgresql-"))
    if user:
        shutil.chown(folder, user)
    data = folder / "data"
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C",
         "--auth-local=trust", "--auth-host=scram-sha-256"],
        user=user, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [bin_dir / "postgres", "-D", data, "-p", str(port), "-k", folder,
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        user=user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    psql = [str(bin_dir / "psql"), "-h", str(folder), "-p", str(port), "-U", "postgres"]
    try:
        deadline = time.monotonic() + 60
        ready = [*psql, "-c", "SELECT 1"]
        while subprocess.run(ready, capture_output=True, check=False).returncode:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start within 60 s")
            time.sleep(0.2)
        yield port, psql
    finally:
        stop(server, signal.SIGINT)  # "fast" shutdown: clients disconnected
        shutil.rmtree(folder, ignore_errors=True)
