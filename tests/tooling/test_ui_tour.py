"""The Tracking UI walked in headless Chromium, step by step as the pages tell it, against a real
server that receives the course's runs in the pages' order (the first local pages, then the
sweep): what each step shows is checked against what MLflow recorded and against metrics
recomputed independently. When a new MLflow changes the UI, this fails."""

import os
import re
import subprocess
import sys
from importlib import metadata
from itertools import product

import mlflow
import pytest
import yaml
from helpers import ROOT, chromium_or_skip, reference_run_metrics
from mlflow import MlflowClient
from PIL import Image

from snippets.datasets import DATASETS_EXPERIMENT
from snippets.evaluation import EVALUATION_EXPERIMENT
from snippets.first_run import EXPERIMENT_NAME
from snippets.registry import REGISTERED_MODEL
from snippets.sweep import C_VALUES, GAMMA_VALUES
from snippets.tuning import TUNING_EXPERIMENT
from tooling.captures import ui_tour
from tooling.sections import written_pages
from tooling.servers.processes import learner_environment, mlflow_server

IMAGES = ROOT / "Images"
SEVEN_METRICS = {"accuracy", "sensitivity", "specificity", "precision", "npv", "fall_out", "fdr"}


def plotly_data(page):
    return page.locator(".js-plotly-plot").first.evaluate(
        "plot => plot.data.map(trace => ({type: trace.type, x: trace.x, y: trace.y, z: trace.z,"
        " dimensions: (trace.dimensions || []).map(d => ({label: d.label, values: d.values}))}))"
    )


def visible_texts(page, selector):
    return [text.strip() for text in page.locator(f"{selector}:visible").all_inner_texts()]


def observe_experiment_list(page):
    return {
        "version": page.get_by_text(re.compile(r"^\d+\.\d+\.\d+$")).first.inner_text(),
        "menu": visible_texts(page, "nav a, aside a, [role=navigation] a"),
        "links": visible_texts(page, "main a, [role=main] a, table a, [role=row] a"),
    }


def observe_runs_table(page):
    return {
        "count": page.get_by_text("matching runs").inner_text(),
        "names": visible_texts(page, ".ag-center-cols-container [role=row] a, [role=row] a"),
        "columns": page.locator("[role=columnheader][col-id]").evaluate_all(
            "headers => headers.map(h => h.getAttribute('col-id'))"
        ),
        "search": page.get_by_placeholder(ui_tour.SEARCH_PLACEHOLDER).input_value(),
    }


def observe_selection(page):
    return {
        "selected": set(
            page.locator(".ag-row-selected").evaluate_all(
                "rows => rows.map(row => row.getAttribute('row-id'))"
            )
        ),
        "compare_enabled": page.get_by_role("button", name="Compare", exact=True).is_enabled(),
    }


def observe_plot(page):
    return {
        "title": page.get_by_text(re.compile(r"^Comparing \d+ Runs")).inner_text(),
        "x_title": page.locator(".js-plotly-plot .g-xtitle").text_content(),
        "y_title": page.locator(".js-plotly-plot .g-ytitle").text_content(),
        "data": plotly_data(page),
    }


def observe_parallel(page):
    return {"data": plotly_data(page)}


def observe_run_page(page):
    rows = page.get_by_role("row").evaluate_all(
        "rows => rows.map(row => [...row.querySelectorAll('[role=cell]')].map(c => c.innerText))"
    )
    return {
        "heading": page.get_by_role("heading", level=2).first.inner_text(),
        "metrics": {cells[0].strip(): cells[1].strip() for cells in rows if len(cells) >= 2},
        "status": page.get_by_text("Finished", exact=True).count(),
    }


def observe_run_artifacts(page):
    return {
        "heading": page.get_by_role("heading", level=2).first.inner_text(),
        "path": page.get_by_text(re.compile(r"^Path: ")).inner_text(),
        "figures": page.evaluate(
            "[...document.images].filter(i => i.complete && i.naturalWidth > 300).length"
        ),
    }


def observe_logged_model(page):
    return {"mlmodel": page.locator("pre, code").filter(has_text="flavors:").first.inner_text()}


def observe_run_datasets(page):
    panel = page.get_by_text("Data details for").locator("xpath=ancestor::*[@role='dialog'][1]")
    text = panel.inner_text()
    title, _color, run_name, *_ = text.splitlines()  # la pastille de couleur du run, puis son nom
    return {"title": title, "heading": run_name, "panel": text}


def observe_parent_children(page):
    rows = page.locator(".ag-center-cols-container .ag-row, .ag-pinned-left-cols-container .ag-row")
    return {
        "count": page.get_by_text("matching runs").inner_text(),
        "names": visible_texts(page, "[col-id='attributes.`Run Name`'] a"),
        "rows": rows.count(),
    }


def observe_registered_model(page):
    rows = page.get_by_role("row").evaluate_all(
        "rows => rows.map(row => [...row.querySelectorAll('[role=cell], td')]"
        ".map(cell => cell.innerText.trim()))"
    )
    return {"title": page.get_by_role("heading", level=2).first.inner_text(), "rows": rows}


OBSERVERS = {
    "liste_experiences": observe_experiment_list,
    "tableau_runs": observe_runs_table,
    "page_run": observe_run_page,
    "artefacts_run": observe_run_artifacts,
    "logged_model": observe_logged_model,
    "filtre_gamma": observe_runs_table,
    "runs_selectionnes": observe_selection,
    "Comparing_metric_with_parameter_SVM": observe_plot,
    "courbes_de_niveau": observe_plot,
    "coordonnees_paralleles": observe_parallel,
    "jeux_de_donnees_run": observe_run_datasets,
    "runs_parent_enfants": observe_parent_children,
    "artefacts_evaluation": observe_run_artifacts,
    "modele_enregistre": observe_registered_model,
}


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """The walkthrough, run once: what each step showed, the shots, and what MLflow recorded."""
    chromium = chromium_or_skip()
    folder = tmp_path_factory.mktemp("tour")
    shots = tmp_path_factory.mktemp("shots")
    before = {path.name: path.stat().st_mtime_ns for path in IMAGES.glob("*.png")}
    seen = {}
    with mlflow_server(folder) as url:
        with ui_tour.browser(chromium) as page:
            paths = ui_tour.walk(
                page,
                url,
                folder,
                shots,
                observe=lambda name, p: seen.update({name: OBSERVERS[name](p)}),
            )
        client = MlflowClient(url)
        experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
        runs = client.search_runs([experiment.experiment_id])
        models = client.search_logged_models([experiment.experiment_id])
        further = {
            other.name: client.search_runs([other.experiment_id], max_results=500)
            for other in client.search_experiments()
            if other.name not in (EXPERIMENT_NAME, "Default")
        }
        versions = {
            version.version: client.get_model_version(REGISTERED_MODEL, version.version)
            for version in client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
        }
    after = {path.name: path.stat().st_mtime_ns for path in IMAGES.glob("*.png")}
    return {
        "seen": seen,
        "paths": paths,
        "runs": runs,
        "models": models,
        "further": further,
        "versions": versions,
        "images": (before, after),
    }


def sweep_runs(tour, gamma=None):
    return [
        run
        for run in tour["runs"]
        if run.data.tags.get("sweep") == "C-gamma"
        and (gamma is None or float(run.data.params["gamma"]) == gamma)
    ]


def run_named(tour, name):
    [run] = [run for run in tour["runs"] if run.info.run_name == name]
    return run


def test_the_experiment_list_is_in_model_training_mode(tour):
    seen = tour["seen"]["liste_experiences"]
    assert seen["version"] == metadata.version("mlflow")  # the UI of the pinned MLflow
    assert EXPERIMENT_NAME in seen["links"]
    assert "Model registry" in seen["menu"]
    assert "Prompts" not in seen["menu"]  # an entry of the GenAI mode only


def test_the_runs_table_shows_the_first_pages_runs_before_any_sweep(tour):
    seen = tour["seen"]["tableau_runs"]
    first = {"premier-run", "sept-metriques", "svm-C1.0-gammascale", "meilleur-reglage"}
    recorded = {run.info.run_name for run in tour["runs"] if not run.data.tags.get("sweep")}
    assert recorded == first  # meilleur-reglage comes with the sweep, after these shots
    assert seen["count"] == "3 matching runs"
    assert set(seen["names"]) - {"model"} == first - {"meilleur-reglage"}  # and its model
    assert seen["search"] == ""
    for column in ["accuracy", "sensitivity", "specificity"]:
        assert f"metrics.`{column}`" in seen["columns"]
    for column in ["C", "gamma"]:
        assert f"params.`{column}`" in seen["columns"]


def test_the_run_page_shows_the_seven_metrics_of_one_run(tour, split):
    seen = tour["seen"]["page_run"]
    run = run_named(tour, ui_tour.ONE_RUN)
    assert seen["heading"] == ui_tour.ONE_RUN
    assert seen["status"] >= 1
    shown = {name: float(value) for name, value in seen["metrics"].items() if name in SEVEN_METRICS}
    assert run.data.params == {"C": "1.0", "gamma": "scale", "kernel": "rbf"}
    expected = reference_run_metrics(split, 1.0, "scale")
    assert shown.keys() == expected.keys()
    for name, value in expected.items():
        assert shown[name] == pytest.approx(value, abs=1e-12), name


def test_the_run_artifacts_show_the_confusion_matrix(tour):
    seen = tour["seen"]["artefacts_run"]
    run = run_named(tour, ui_tour.ONE_RUN)
    assert seen["heading"] == ui_tour.ONE_RUN
    assert seen["path"].endswith(f"{run.info.run_id}/artifacts/{ui_tour.CONFUSION_MATRIX}")
    assert seen["figures"] >= 1


def test_the_logged_model_page_shows_its_mlmodel(tour):
    mlmodel = yaml.safe_load(tour["seen"]["logged_model"]["mlmodel"])
    run = run_named(tour, "svm-C1.0-gammascale")  # the run of the page « Le modèle MLflow »
    [model] = [model for model in tour["models"] if model.source_run_id == run.info.run_id]
    assert set(mlmodel["flavors"]) == {"python_function", "sklearn"}
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    assert mlmodel["model_id"] == model.model_id
    assert mlmodel["run_id"] == run.info.run_id
    assert mlmodel["mlflow_version"] == metadata.version("mlflow")


def test_the_filter_keeps_the_sweep_runs_of_one_gamma(tour):
    seen = tour["seen"]["filtre_gamma"]
    assert seen["search"] == "tags.sweep = 'C-gamma' and params.gamma = '0.01'"
    assert seen["search"] == ui_tour.GAMMA_FILTER
    recorded = sorted(run.info.run_name for run in sweep_runs(tour, ui_tour.GAMMA_SHOWN))
    assert len(recorded) == len(C_VALUES) == 5
    assert seen["count"] == "5 matching runs"
    assert sorted(seen["names"]) == recorded


def test_selecting_the_filtered_runs_offers_compare(tour):
    seen = tour["seen"]["runs_selectionnes"]
    assert seen["selected"] == {run.info.run_id for run in sweep_runs(tour, ui_tour.GAMMA_SHOWN)}
    assert seen["compare_enabled"]


def test_the_scatter_plot_shows_accuracy_against_c_for_one_gamma(tour, split):
    seen = tour["seen"]["Comparing_metric_with_parameter_SVM"]
    assert seen["title"] == "Comparing 5 Runs from 1 Experiment"
    assert (seen["x_title"], seen["y_title"]) == ("C", "accuracy")
    [trace] = seen["data"]
    shown = sorted((float(x), round(y, 12)) for x, y in zip(trace["x"], trace["y"], strict=True))
    accuracy = {
        C: reference_run_metrics(split, C, ui_tour.GAMMA_SHOWN)["accuracy"] for C in C_VALUES
    }
    expected = [(C, round(value, 12)) for C, value in accuracy.items()]
    assert shown == expected
    # What the page says of it: the smallest C predicts benign for every tumour.
    assert shown[0] == (0.01, round(90 / 143, 12))


def test_the_contour_plot_shows_sensitivity_over_the_whole_grid(tour, split):
    seen = tour["seen"]["courbes_de_niveau"]
    assert seen["title"] == "Comparing 20 Runs from 1 Experiment"
    assert (seen["x_title"], seen["y_title"]) == ("C", "gamma")
    contour, points = seen["data"]
    assert contour["type"] == "contour"
    assert sorted(zip(points["x"], points["y"], strict=True)) == sorted(
        product(C_VALUES, GAMMA_VALUES)
    )
    for C, gamma in product(C_VALUES, GAMMA_VALUES):
        [sensitivity] = [
            z
            for x, y, z in zip(contour["x"], contour["y"], contour["z"], strict=True)
            if (x, y) == (C, gamma)
        ]
        assert sensitivity == pytest.approx(reference_run_metrics(split, C, gamma)["sensitivity"])


def test_the_parallel_coordinates_show_c_gamma_and_three_metrics(tour, split):
    [trace] = tour["seen"]["coordonnees_paralleles"]["data"]
    assert trace["type"] == "parcoords"
    dimensions = {d["label"]: d["values"] for d in trace["dimensions"]}
    assert list(dimensions) == ["C", "gamma", "accuracy", "sensitivity", "specificity"]
    settings = sorted(zip(dimensions["C"], dimensions["gamma"], strict=True))
    assert settings == sorted(product(C_VALUES, GAMMA_VALUES))
    for C, gamma, sensitivity in zip(
        dimensions["C"], dimensions["gamma"], dimensions["sensitivity"], strict=True
    ):
        assert sensitivity == pytest.approx(reference_run_metrics(split, C, gamma)["sensitivity"])


def test_the_data_details_show_the_training_split_recorded_with_the_run(tour, split):
    seen = tour["seen"]["jeux_de_donnees_run"]
    assert (seen["title"], seen["heading"]) == ("Data details for", ui_tour.DATASETS_RUN)
    X_train, X_test, y_train, y_test = split
    digests = {
        name: mlflow.data.from_pandas(features.assign(target=target), targets="target").digest
        for name, features, target in [
            ("tumeurs-entrainement", X_train, y_train),
            ("tumeurs-test", X_test, y_test),
        ]
    }
    panel = seen["panel"]
    assert "2 datasets used" in panel
    for name, digest in digests.items():
        assert f"{name} ({digest})" in panel
    assert f"num rows: {len(X_train)}" in panel
    assert f"num elements: {len(X_train) * (X_train.shape[1] + 1)}" in panel
    assert f"Digest: {digests[ui_tour.TRAINING_DATASET]}" in " ".join(panel.split())
    [run] = [r for r in tour["further"][DATASETS_EXPERIMENT] if r.info.run_name == seen["heading"]]
    recorded = {i.dataset.name: i.dataset.digest for i in run.inputs.dataset_inputs}
    assert recorded == digests


def test_the_study_run_unfolds_into_its_children(tour):
    seen = tour["seen"]["runs_parent_enfants"]
    runs = tour["further"][TUNING_EXPERIMENT]
    [parent] = [run for run in runs if run.info.run_name == ui_tour.STUDY_RUN]
    children = [
        run for run in runs if run.data.tags.get("mlflow.parentRunId") == parent.info.run_id
    ]
    assert len(children) == len(runs) - 1 == int(parent.data.params["n_trials"]) >= 20
    assert seen["count"] == f"{len(runs)} matching runs"
    # The parent first, then its children, the newest first (the table's default sort).
    newest_first = sorted(children, key=lambda run: run.info.start_time, reverse=True)
    shown = seen["names"]
    assert shown[0] == ui_tour.STUDY_RUN
    assert shown[1:] == [run.info.run_name for run in newest_first][: len(shown) - 1]
    assert len(shown) > 10  # unfolded: more than the parent alone


def test_the_evaluation_artifacts_show_the_roc_curve(tour):
    seen = tour["seen"]["artefacts_evaluation"]
    [run] = [
        run
        for run in tour["further"][EVALUATION_EXPERIMENT]
        if run.info.run_name == ui_tour.EVALUATION_RUN
    ]
    assert seen["heading"] == ui_tour.EVALUATION_RUN
    assert seen["path"].endswith(f"{run.info.run_id}/artifacts/{ui_tour.ROC_CURVE}")
    assert seen["figures"] >= 1
    # The curve shown is the malignant class's: its AUC is the one the run recorded.
    assert 0.9 < run.data.metrics["roc_auc"] <= 1


def test_the_registered_model_shows_its_versions_gates_and_aliases(tour):
    seen = tour["seen"]["modele_enregistre"]
    assert REGISTERED_MODEL in seen["title"]
    shown = {}
    for cells in seen["rows"]:
        found = [cell for cell in cells if cell.startswith("Version ")]
        if found:
            shown[found[0].removeprefix("Version ")] = "".join("".join(cells).split())
    versions = tour["versions"]
    assert set(shown) == set(versions) and len(versions) == 3
    for number, version in versions.items():
        # Cell texts without their spaces (the UI breaks lines and puts a non-breaking space).
        assert f"quality_gate:{version.tags['quality_gate']}" in shown[number]
        for alias in version.aliases:
            assert f"@{alias}" in shown[number]
    aliases = {alias: number for number, v in versions.items() for alias in v.aliases}
    assert set(aliases) == {"champion", "challenger"}
    assert versions[aliases["champion"]].tags["quality_gate"] == "passed"


def test_each_step_is_shot_as_the_committed_images_and_images_is_left_alone(tour):
    names = {path.name for path in tour["paths"]}
    assert names == {f"{name}.png" for name, _ in ui_tour.STEPS}
    assert "Comparing_metric_with_parameter_SVM.png" in names
    assert names == {path.name for path in IMAGES.glob("*.png")}
    for path in tour["paths"]:
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (ui_tour.VIEWPORT["width"], ui_tour.VIEWPORT["height"])
            assert image.size[0] >= 1200
    before, after = tour["images"]
    assert before == after


def test_every_screenshot_is_shown_on_a_page_with_a_french_description():
    pages = "\n".join(path.read_text() for path in written_pages())
    for path in IMAGES.glob("*.png"):
        described = re.findall(
            rf"!\[([^\]]*)\]\([./]*generated/images/{re.escape(path.name)}\)", pages
        )
        assert described, path.name
        assert all(len(alt.split()) >= 5 for alt in described), path.name


def test_each_shot_is_on_the_page_whose_steps_it_follows():
    def shown(page):
        text = (ROOT / "docs" / page).read_text()
        return set(re.findall(r"!\[[^\]]*\]\([./]*generated/images/([^)]+)\)", text))

    first, second, further = ([f"{name}.png" for name, _ in s] for _, s in ui_tour.STAGES)
    assert shown("tracking-ui.md") == set(first)
    assert shown("local/sweep.md") == set(second)
    # Each page « Aller plus loin » shows the shots of its own steps.
    pages = {"jeux_de_donnees_run": "datasets.md", "runs_parent_enfants": "tuning.md"}
    pages |= {"artefacts_evaluation": "evaluation.md", "modele_enregistre": "registry.md"}
    assert set(further) == {f"{name}.png" for name in pages}
    for name, page in pages.items():
        assert f"{name}.png" in shown(page), name


@pytest.mark.slow  # the site's machinery
def test_without_chromium_the_command_says_how_to_install_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tooling.captures.ui_tour", "--output", str(tmp_path / "shots")],
        cwd=ROOT,
        env=learner_environment(CHROMIUM_PATH="/nonexistent/chromium"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == ui_tour.CHROMIUM_HELP
    assert "apt-get install -y chromium" in result.stderr
    assert not (tmp_path / "shots").exists()
    assert os.listdir(tmp_path) == []
