"""The copy-paste property: a page's Python blocks, pasted in order into one fresh session in an
empty folder, run and record what the page says."""

import pytest
from helpers import (
    ROOT,
    assert_finished_sweep,
    page_python_blocks,
    run_as_a_learner,
)
from mlflow import MlflowClient

DOCS = ROOT / "docs"
LOCAL_PAGES = ["premier-run", "metriques", "modele", "comparer-les-runs"]
EXPERIMENT = "svm-cancer-du-sein"


def runs_and_models(folder):
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    models = client.search_logged_models([experiment.experiment_id])
    return runs, models


def run_pages(pages, folder):
    code = "\n\n".join(block for page in pages for block in page_python_blocks(page))
    result = run_as_a_learner(code, folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_every_page_with_python_is_checked_here():
    with_python = {
        page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md") if page_python_blocks(page)
    }
    # Checked in the test module of their snippet: databricks-tracking.md (against a tracking server),
    # algorithms.md, autolog.md and exercises.md (with what each page records).
    expected = {"data.md", "databricks-tracking.md"} | {f"local/{n}.md" for n in LOCAL_PAGES}
    expected |= {"algorithms.md", "autolog.md", "exercises.md"}
    expected |= {"diagnostic.md", "shared-server.md", "benchmark.md"}
    assert with_python == expected


@pytest.mark.parametrize("page", ["diagnostic.md", "shared-server.md", "benchmark.md"])
def test_pages_of_settings_and_definitions_run_alone(tmp_path, page):
    # Their blocks set variables or define functions; the snippets' tests check what they do.
    run_pages([DOCS / page], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_dataset_page_runs_alone(tmp_path):
    out = run_pages([DOCS / "data.md"], tmp_path)
    assert "569 tumeurs, 30 variables numériques" in out
    assert "Entraînement : 426 tumeurs, test : 143 tumeurs" in out


@pytest.mark.parametrize(
    ("page", "run_count", "model_count"),
    [
        ("premier-run", 1, 0),
        ("metriques", 1, 0),
        ("modele", 1, 1),
        ("comparer-les-runs", 21, 1),
    ],
)
def test_each_local_page_runs_alone_in_an_empty_folder(
    tmp_path, split, page, run_count, model_count
):
    out = run_pages([DOCS / "local" / f"{page}.md"], tmp_path)
    runs, models = runs_and_models(tmp_path)
    if page == "modele":
        assert "Le modèle rechargé prédit comme le pipeline d'origine." in out
    if page == "comparer-les-runs":
        assert_finished_sweep(runs, split)
        assert "Meilleur compromis : C=" in out
    assert len(runs) == run_count
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert len(models) == model_count
    # Only what the page announces: the store, its artifacts, and the model page's request.
    assert {path.name for path in tmp_path.iterdir()} <= {
        "mlflow.db",
        "mlruns",
        "requete.json",
    }
