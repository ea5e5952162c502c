"""Shared fixtures: a private tracking store per test, the course's split rebuilt, the built
site, and real servers (MLflow, PostgreSQL) on 127.0.0.1.

A test is marked with what it needs (pytest.ini): a fixture that provides a resource marks
the tests that use it; every test that needs a resource is also `slow`, and the quick tier,
`python -m pytest -m "not slow" -n 2`, leaves them out."""

import os
import re

os.environ["MPLBACKEND"] = "Agg"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from helpers import ROOT, build_site, private_store  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.first_run  # noqa: E402
from tooling.servers import processes  # noqa: E402
from tooling.servers.processes import mlflow_server  # noqa: E402

# The markers of the resources a fixture provides (declared in pytest.ini).
FIXTURE_MARKERS = {
    "site": ["site"],
    "databricks_server": ["server"],
    "postgresql": ["postgresql"],
    "shared_server": ["postgresql", "server"],
    "tour": ["browser", "server"],
    "visits": ["browser", "site"],
    "alone": ["slow"],  # the local pages, each pasted alone into a fresh session
    "learner": ["slow"],  # a learner's environment, built from requirements.txt alone
}
RESOURCES = {"browser", "server", "postgresql", "spark", "site"}


def pytest_collection_modifyitems(items):
    twice = []
    for item in items:
        written = {mark.name for mark in item.iter_markers()}
        given = {
            name
            for fixture in getattr(item, "fixturenames", ())
            for name in FIXTURE_MARKERS.get(fixture, ())
        }
        if RESOURCES & (written | given):
            given.add("slow")  # the quick tier needs none of them
        if written & given:  # each test marked one way: by its fixtures, or in writing
            twice.append(f"{item.nodeid}: {sorted(written & given)} set by its fixtures already")
        for name in sorted(given):
            item.add_marker(name)
    if twice:
        raise pytest.UsageError("\n".join(twice))


@pytest.fixture(scope="session", autouse=True)
def away_from_the_repository(tmp_path_factory):
    """The session works in an empty folder, never in the repository: MLflow puts the
    artifacts of a SQLite store that names no artifact root in ./mlruns of the current folder,
    and tests that plant runs in a store of their own would leave them in the repository."""
    leaked = ROOT / "mlruns"
    existed = leaked.exists()
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("dossier-courant"))
    yield
    os.chdir(previous)
    if leaked.exists() and not existed:  # a test, or the site's build, wrote in the repository
        pytest.fail(f"{leaked} est apparu pendant les tests : un magasin sans dossier à lui")


@pytest.fixture
def workdir(tmp_path):
    """An empty working directory whose store the course's code will use (created on first use)."""
    with private_store(tmp_path):
        yield tmp_path


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


@pytest.fixture(scope="session")
def postgresql():
    """A real PostgreSQL server of the system's packages (tooling.servers.processes): yields
    (port, psql command as the superuser)."""
    try:
        with processes.postgresql() as server:
            yield server
    except FileNotFoundError as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(str(missing))
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def shared_server(postgresql, tmp_path_factory):
    """The « Serveur de suivi partagé » page's server, started by the page's own commands on
    its PostgreSQL database, with accounts (tooling.servers.page_server)."""
    from tooling.servers.page_server import create_database, page_server

    port, psql = postgresql
    create_database(psql)
    with page_server(tmp_path_factory.mktemp("shared-server"), port) as server:
        yield server
