"""The two notebooks: built from the pages' sections (notebook_builder, with the notebook-only
cells of snippets/notebooks.py), run top to bottom with nbclient in an empty folder, the local
one by the site's build into its own store and the Databricks one here against the real server
standing in for a workspace; what MLflow recorded is read back and checked against independent
values."""

import os
import re

import mlflow
import nbformat
import pytest
from helpers import (
    ROOT,
    assert_finished_sweep,
    assert_sweep_and_model_in,
    generated_step,
    store_client,
    tracking_uri,
)
from nbclient import NotebookClient
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from snippets import registry, tuning
from tooling.sections import ANNOTATION, python_blocks, section
from tooling.versions import pinned
from tooling.website import notebook_builder as notebooks

DUMMY_TOKEN = "dapi-jeton-factice"


def execute(path, folder, monkeypatch, **env):
    """Runs a notebook top to bottom, as a learner's kernel would, with folder as its folder."""
    for name in [key for key in os.environ if key.startswith(("MLFLOW_", "DATABRICKS_"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("PYTHONPATH", raising=False)  # the notebooks need no file of the course
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return notebook


def printed(notebook):
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("name") == "stdout"
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The two notebooks as the command builds them: {name: path}."""
    paths = notebooks.build(tmp_path_factory.mktemp("notebooks"))
    return {path.stem: path for path in paths}


def test_the_notebooks_are_built_from_the_pages_code_and_hold_no_output(built):
    assert sorted(built) == ["cours-databricks", "cours-local", "cours-plus-loin"]
    for path in built.values():
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
        assert not any("--8<--" in cell.source for cell in code)
        text = "".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        assert " :" not in text and "\u00a0:" in text  # French typography
    local = nbformat.read(built["cours-local"], as_version=4)
    sources = "\n".join(cell.source for cell in local.cells)
    for reference in ["data.py:load", "metrics.py:metrics", "sweep.py:best_model"]:
        assert section(reference) in sources, reference


def test_the_local_notebook_is_the_local_pages_blocks_in_order(built):
    notebook = nbformat.read(built["cours-local"], as_version=4)
    tagged = [cell for cell in notebook.cells if cell.metadata.get("course_page")]
    expected = [
        (page, ANNOTATION.sub("", block).strip("\n"))
        for page in notebooks.LOCAL_PAGES
        for block in python_blocks(ROOT / "docs" / page, own=True)
    ]
    assert [(cell.metadata["course_page"], cell.source) for cell in tagged] == expected
    others = [c.source for c in notebook.cells if c.cell_type == "code" and c not in tagged]
    assert others == [
        "%matplotlib inline",
        section("notebooks.py:confusion_matrix"),
        section("notebooks.py:show"),
    ]


def test_the_further_notebook_is_the_further_pages_blocks_in_order(built):
    notebook = nbformat.read(built["cours-plus-loin"], as_version=4)
    tagged = [cell for cell in notebook.cells if cell.metadata.get("course_page")]
    expected = [
        (page, ANNOTATION.sub("", block).strip("\n"))
        for page in notebooks.FURTHER_PAGES
        for block in python_blocks(ROOT / "docs" / page, own=True)
    ]
    assert [(cell.metadata["course_page"], cell.source) for cell in tagged] == expected
    sources = "\n".join(cell.source for cell in notebook.cells)
    for reference in ["data.py:load", "metrics.py:log_evaluation", "sweep.py:best"]:
        assert section(reference) in sources, reference


def test_the_further_notebook_ran_top_to_bottom_at_the_build(site, split):
    # Executed with nbclient in an empty folder by the build: its store holds the study, the
    # evaluation and the registry, read back here and checked against a refitted pipeline.
    step = generated_step("further")
    client = store_client(step / "cours-mlflow")
    study = client.get_experiment_by_name(tuning.TUNING_EXPERIMENT)
    [parent] = client.search_runs([study.experiment_id], "attributes.run_name = 'etude-optuna'")
    children = client.search_runs(
        [study.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'", max_results=500
    )
    assert len(children) == int(parent.data.params["n_trials"]) == tuning.N_TRIALS
    best = max(child.data.metrics["cv_balanced_accuracy"] for child in children)
    assert parent.data.metrics["cv_balanced_accuracy"] == best
    # The registry page's champion: the model of a study run (the page runs its own study).
    champion = client.get_model_version_by_alias(registry.REGISTERED_MODEL, "champion")
    source = client.get_run(champion.run_id)
    assert source.info.run_name == "etude-optuna"
    assert champion.source == f"models:/{source.outputs.model_outputs[0].model_id}"
    parent = source
    X_train, X_test, y_train, _ = split
    params = {"C": float(parent.data.params["C"]), "gamma": float(parent.data.params["gamma"])}
    refitted = make_pipeline(StandardScaler(), SVC(**params)).fit(X_train, y_train)
    with tracking_uri(f"sqlite:///{step / 'cours-mlflow' / 'mlflow.db'}"):
        loaded = mlflow.pyfunc.load_model(f"models:/{registry.REGISTERED_MODEL}@champion")
        assert list(loaded.predict(X_test)) == list(refitted.predict(X_test))


def test_the_databricks_notebook_installs_the_course_versions_and_holds_no_token(built):
    notebook = nbformat.read(built["cours-databricks"], as_version=4)
    sources = "\n".join(cell.source for cell in notebook.cells)
    install = notebook.cells[2].source
    pins = pinned()
    assert install == f"%pip install mlflow=={pins['mlflow']} scikit-learn=={pins['scikit-learn']}"
    assert "dbutils.widgets.text" in sources and "dbutils.library.restartPython()" in sources
    assert "dapi" not in sources and "DATABRICKS_TOKEN =" not in sources


def test_the_local_notebook_ran_top_to_bottom_in_an_empty_folder_at_the_build(site, split):
    # The build executes it with nbclient in an empty folder (an error fails the build) and
    # keeps the metadata it recorded; its artifacts stayed in the throw-away folder.
    step = generated_step("local")
    client = store_client(step / "cours-mlflow")
    experiment = client.get_experiment_by_name("svm-cancer-du-sein")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert_finished_sweep(runs, split)
    others = [run.info.run_name for run in runs if "sweep" not in run.data.tags]
    assert len(others) == 4  # premier run, sept métriques, modèle par défaut, meilleur réglage
    assert {"premier-run", "sept-metriques", "meilleur-reglage"} <= set(others)
    [best] = [run for run in runs if run.info.run_name == "meilleur-reglage"]
    executed = nbformat.read(step / "notebooks" / "cours-local.ipynb", as_version=4)
    assert f"C={best.data.params['C']}, gamma={best.data.params['gamma']}" in printed(executed)
    models = client.search_logged_models([experiment.experiment_id])
    assert [model.source_run_id for model in models].count(best.info.run_id) == 1


def test_the_databricks_notebook_runs_against_the_workspace(
    databricks_server, built, tmp_path, monkeypatch, split
):
    path = "/Users/notebook@example.com/svm-cancer-du-sein"
    home = tmp_path / "home"  # no ~/.databrickscfg: the environment logs in
    home.mkdir()
    execute(
        built["cours-databricks"],
        tmp_path,
        monkeypatch,
        DATABRICKS_HOST=databricks_server,
        DATABRICKS_TOKEN=DUMMY_TOKEN,
        HOME=str(home),
        MLFLOW_EXPERIMENT_NAME=path,
    )
    assert_sweep_and_model_in(databricks_server, path, split)
    assert not (tmp_path / "mlflow.db").exists()  # nothing went to a local store


@pytest.mark.parametrize("name", ["cours-local", "cours-databricks", "cours-plus-loin"])
def test_each_notebook_is_a_page_of_the_site_with_a_download_button(site, built, name):
    folder = site / "generated" / "notebooks"
    html = (folder / name / "index.html").read_text()
    assert f'href="../{name}.ipynb"' in html and "Télécharger le notebook" in html
    downloaded = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    sources = [cell.source for cell in downloaded.cells]
    expected = nbformat.read(built[name], as_version=4)
    assert sources == [cell.source for cell in expected.cells]
    outputs = [o for cell in downloaded.cells if cell.cell_type == "code" for o in cell.outputs]
    code = [cell.source for cell in downloaded.cells if cell.cell_type == "code"]
    text = re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#39;", "'")
    assert text.count("Télécharger le notebook") == 1
    for source in code:  # the page shows every cell, in a Python block
        assert source.splitlines()[0].strip() in text, source
    if name == "cours-local":  # executed at build time: real tables and figures
        assert any("image/png" in output.get("data", {}) for output in outputs)
        assert any("Meilleur compromis" in output.get("text", "") for output in outputs)
        figures = re.findall(r'<img[^>]+src="([^"]+_files/[^"]+\.png)"', html)
        assert figures and all((folder / name / src).resolve().is_file() for src in figures)
        assert "Meilleur compromis" in text
    elif name == "cours-plus-loin":  # executed at build time too
        assert any("Run parent" in output.get("text", "") for output in outputs)
    else:
        assert outputs == []
