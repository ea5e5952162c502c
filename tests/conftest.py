"""Shared fixtures: a private tracking store per test, and the course's split rebuilt."""

import os
import re
import subprocess
import sys
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"

import mlflow  # noqa: E402
import pytest  # noqa: E402
from helpers import build_site, free_port, stop, subprocess_env, wait_for_http  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.first_run  # noqa: E402


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


@pytest.fixture(scope="session")
def databricks_server(tmp_path_factory):
    """A real MLflow tracking server standing in for a Databricks workspace: the same REST API.

    The client writes artifacts straight into the server's artifact root (--no-serve-artifacts),
    as the `databricks` tracking URI expects of a workspace's storage.
    """
    folder = tmp_path_factory.mktemp("workspace")
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "mlflow"), "server",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
        "--backend-store-uri", f"sqlite:///{folder / 'server.db'}",
        "--default-artifact-root", str(folder / "artifacts"),
        "--no-serve-artifacts",
    ]  # fmt: skip
    server = subprocess.Popen(
        command,
        cwd=folder,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", server, timeout=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once for the session with `mkdocs build --strict`: no warning allowed."""
    site_dir = tmp_path_factory.mktemp("site")
    result = build_site(site_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not re.search(r"^(WARNING|ERROR)\s+-", result.stderr, re.M), result.stderr
    return site_dir
