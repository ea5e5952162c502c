"""The copy-paste property: a page's Python blocks, pasted in order into one fresh session in an
empty folder, run and record what the page says. The tutorial pages are run here one by one, by
the site's own runner (tooling.website.runner.run_page); the build runs the other pages that way and
the local pages in order, as the local notebook (tests/tooling/test_notebooks.py)."""

import re

import pytest
from helpers import (
    ROOT,
    assert_finished_sweep,
    generated_step,
    page_code,
    run_as_a_learner,
    store_client,
)

from tooling.sections import python_blocks, written_pages
from tooling.website.maintainer_tools import hiding_path
from tooling.website.notebook_builder import FURTHER_PAGES, LOCAL_PAGES
from tooling.website.runner import output_name, run_page
from tooling.website.scheduler import worker_pool
from tooling.website.steps import STEPS

DOCS = ROOT / "docs"
EXPERIMENT = "svm-cancer-du-sein"
# Pages run by the tests of their module: against a tracking server standing in for the
# workspace or the learner's server (databricks-tracking.md, exercises.md), on a local Spark
# that needs Java, which the site's build does not have (spark-study.md), or because their
# blocks only set variables and define functions (the three below).
SETTINGS = ["diagnostic.md", "shared-server.md", "benchmark.md"]


def runs_and_models(folder):
    client = store_client(folder)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    models = client.search_logged_models([experiment.experiment_id])
    return runs, models


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """{page: its folder}: each local page pasted alone into a fresh session in an empty
    folder (<folder>/cours-mlflow), two pages at a time."""
    folder = tmp_path_factory.mktemp("alone")
    hiding_path()
    outs = {page: folder / page.replace("/", "-") for page in LOCAL_PAGES}
    with worker_pool() as pool:
        futures = [pool.submit(run_page, page, str(out)) for page, out in outs.items()]
        for future in futures:
            future.result()
    return outs


def test_every_page_with_python_is_checked():
    with_python = {
        page.relative_to(DOCS).as_posix()
        for page in written_pages()
        if "includes" not in page.parts and python_blocks(page)
    }
    built = {step.page for step in STEPS if step.page}
    # The « Aller plus loin » pages: built in order by the further notebook, and each pasted
    # alone by its own test (tests/pages/test_<page>.py).
    checked = set(LOCAL_PAGES) | set(FURTHER_PAGES) | built | set(SETTINGS)
    # Run by their own tests: tests/pages/test_<page>.py.
    alone = {"databricks-tracking.md", "exercises.md", "spark-study.md", "migration.md"}
    assert with_python == checked | alone


@pytest.mark.parametrize("page", SETTINGS)
def test_pages_of_settings_and_definitions_run_alone(tmp_path, page):
    # Their blocks set variables or define functions; the snippets' tests check what they do.
    result = run_as_a_learner(page_code(page), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


def test_the_dataset_page_runs_alone(alone):
    out = (alone["data.md"] / output_name("data.md")).read_text()
    assert "569 tumeurs, 30 variables numériques" in out
    assert "Entraînement : 426 tumeurs, test : 143 tumeurs" in out
    assert list((alone["data.md"] / "cours-mlflow").iterdir()) == []


@pytest.mark.parametrize(
    ("page", "run_count", "model_count", "files"),
    [
        ("local/first-run.md", 1, 0, {"mlflow.db"}),
        ("local/metrics.md", 1, 0, {"mlflow.db", "mlruns"}),
        ("local/logged-model.md", 1, 1, {"mlflow.db", "mlruns", "requete.json"}),
        ("local/sweep.md", 21, 1, {"mlflow.db", "mlruns", "metriques_selon_C.png"}),
    ],
)
def test_each_local_page_runs_alone_in_an_empty_folder(
    alone, split, page, run_count, model_count, files
):
    folder = alone[page] / "cours-mlflow"
    runs, models = runs_and_models(folder)
    out = (alone[page] / output_name(page)).read_text()
    if page == "local/logged-model.md":
        assert "Le modèle rechargé prédit comme le pipeline d'origine." in out
    if page == "local/sweep.md":
        assert_finished_sweep(runs, split)
        assert "Meilleur compromis : C=" in out
    assert len(runs) == run_count
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert len(models) == model_count
    # Only what the page announces: the store, its artifacts, the request, the figure.
    assert {path.name for path in folder.iterdir()} == files


VARYING = re.compile(r"[0-9a-f]{32}|octets|utc_time_created|artifact_path|model_size_bytes")


def steady_lines(text):
    """The lines of an output that do not change from one run to the next (no identifier,
    file size, path or time)."""
    return [line for line in text.splitlines() if not VARYING.search(line)]


def test_the_pages_output_on_the_site_matches_the_page_run_alone(site, alone):
    # Each local page's output on the site comes from the build's run of the pages in order
    # (the local notebook); run alone, the page prints the same.
    for page in LOCAL_PAGES:
        name = output_name(page)
        shown = (generated_step("local") / name).read_text()
        assert shown.strip(), page
        assert steady_lines(shown) == steady_lines((alone[page] / name).read_text()), page
