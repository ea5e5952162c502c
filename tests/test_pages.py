"""The copy-paste property: a page's Python blocks, pasted in order into one fresh session in an
empty folder, run and record what the page says. The site's build runs every page that way
(tooling.generate); these tests read what those runs recorded."""

import pytest
from helpers import (
    ROOT,
    assert_finished_sweep,
    generated_step,
    page_code,
    run_as_a_learner,
    store_client,
)

from tooling.sections import python_blocks

DOCS = ROOT / "docs"
EXPERIMENT = "svm-cancer-du-sein"
# The pages the build runs, each in its own empty folder (tooling.generate.STEPS).
BUILT = {
    "data.md": "data",
    "local/first-run.md": "first_run",
    "local/metrics.md": "metrics",
    "local/logged-model.md": "logged_model",
    "local/sweep.md": "sweep",
    "algorithms.md": "algorithms",
    "autolog.md": "autolog",
}
# Pages run by the tests of their module: against a tracking server standing in for the
# workspace or the learner's server (databricks-tracking.md, exercises.md), or because their
# blocks only set variables and define functions (the three below).
SETTINGS = ["diagnostic.md", "shared-server.md", "benchmark.md"]


def runs_and_models(folder):
    client = store_client(folder)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    models = client.search_logged_models([experiment.experiment_id])
    return runs, models


def test_every_page_with_python_is_checked():
    with_python = {
        page.relative_to(DOCS).as_posix()
        for page in DOCS.rglob("*.md")
        if "includes" not in page.parts and python_blocks(page)
    }
    checked = set(BUILT) | set(SETTINGS) | {"databricks-tracking.md", "exercises.md"}
    assert with_python == checked


def test_the_build_ran_the_steps_of_these_pages():
    from tooling.generate import STEP_BY_NAME

    assert {name: STEP_BY_NAME[name].page for name in BUILT.values()} == {
        name: page for page, name in BUILT.items()
    }


@pytest.mark.parametrize("page", SETTINGS)
def test_pages_of_settings_and_definitions_run_alone(tmp_path, page):
    # Their blocks set variables or define functions; the snippets' tests check what they do.
    result = run_as_a_learner(page_code(page), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


def test_the_dataset_page_ran_alone(site):
    out = (generated_step("data") / "output_data.txt").read_text()
    assert "569 tumeurs, 30 variables numériques" in out
    assert "Entraînement : 426 tumeurs, test : 143 tumeurs" in out
    assert sorted(p.name for p in (generated_step("data") / "cours-mlflow").iterdir()) == []


@pytest.mark.parametrize(
    ("step", "run_count", "model_count", "files"),
    [
        ("first_run", 1, 0, {"mlflow.db"}),
        ("metrics", 1, 0, {"mlflow.db", "mlruns"}),
        ("logged_model", 1, 1, {"mlflow.db", "mlruns", "requete.json"}),
        ("sweep", 21, 1, {"mlflow.db", "mlruns", "metriques_selon_C.png"}),
    ],
)
def test_each_local_page_ran_alone_in_an_empty_folder(
    site, split, step, run_count, model_count, files
):
    folder = generated_step(step) / "cours-mlflow"
    runs, models = runs_and_models(folder)
    out = (generated_step(step) / f"output_{step}.txt").read_text()
    if step == "logged_model":
        assert "Le modèle rechargé prédit comme le pipeline d'origine." in out
    if step == "sweep":
        assert_finished_sweep(runs, split)
        assert "Meilleur compromis : C=" in out
    assert len(runs) == run_count
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert len(models) == model_count
    # Only what the page announces: the store, its artifacts, the request, the figure.
    assert {path.name for path in folder.iterdir()} == files
