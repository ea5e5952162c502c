"""Shared fixtures: a private tracking store per test, and the course's split rebuilt."""

import os

os.environ["MPLBACKEND"] = "Agg"

import mlflow  # noqa: E402
import pytest  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.first_run  # noqa: E402


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working directory whose store the course's code will use (created on first use)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
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
