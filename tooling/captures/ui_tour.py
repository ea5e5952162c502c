"""Visite du Tracking UI dans un vrai navigateur : les captures d'écran du cours.

    python -m tooling.captures.ui_tour [--output Images]

La commande lance un vrai `mlflow server` sur un magasin temporaire (127.0.0.1, port
libre). Elle y enregistre les runs du cours dans l'ordre des pages, en trois temps : d'abord
les pages locales qui précèdent la page « Tracking UI » (un run à lire), puis le balayage
de la page « Comparer les runs » (des runs à comparer), enfin les pages « Aller plus loin »
(jeux de données, étude et ses essais, évaluation, registre). Après chaque temps, elle suit dans
Chromium sans écran les étapes que décrit la page correspondante, et enregistre une capture
d'écran par étape dans le dossier de sortie.
"""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from snippets.datasets import DATASETS_EXPERIMENT
from snippets.evaluation import EVALUATION_EXPERIMENT
from snippets.first_run import EXPERIMENT_NAME
from snippets.registry import REGISTERED_MODEL
from snippets.sweep import SWEEP_TAG
from snippets.tuning import TUNING_EXPERIMENT
from tooling import ROOT, command_line
from tooling.servers.processes import learner_environment, mlflow_server

VIEWPORT = {"width": 1440, "height": 900}
# Les pages locales d'avant la page « Tracking UI », et le run qu'elle ouvre.
SINGLE_RUN_PAGES = ["first_run", "metrics", "logged_model"]
ONE_RUN = "sept-metriques"
CONFUSION_MATRIX = "confusion_matrix.png"
SWEEP_FILTER = "tags.{} = '{}'".format(*next(iter(SWEEP_TAG.items())))
# Une seule valeur de gamma : MLflow stocke les paramètres en texte, str(0.01) = '0.01'.
GAMMA_SHOWN = 0.01
GAMMA_FILTER = f"{SWEEP_FILTER} and params.gamma = '{GAMMA_SHOWN}'"
# Les pages « Aller plus loin » qui ont leurs captures, et ce qu'elles ouvrent.
FURTHER_PAGES = ["datasets", "tuning", "evaluation", "registry"]
DATASETS_RUN = "svm-et-donnees"
TRAINING_DATASET = "tumeurs-entrainement"
STUDY_RUN = "etude-optuna"
STUDY_COLUMNS = ["C", "gamma", "cv_balanced_accuracy"]
EVALUATION_RUN = "evaluation-modele-choisi"
ROC_CURVE = "roc_curve_plot.png"
SEARCH_PLACEHOLDER = 'metrics.rmse < 1 and params.model = "tree"'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHROMIUM_HELP = (
    "Chromium est introuvable. Installez-le depuis les paquets du système "
    "(Debian, Ubuntu : sudo apt-get install -y chromium), ou donnez le chemin de son "
    "exécutable dans la variable CHROMIUM_PATH."
)


def find_chromium():
    """Le chemin de Chromium : CHROMIUM_PATH s'il est donné, sinon le premier trouvé."""
    if os.environ.get("CHROMIUM_PATH"):
        return shutil.which(os.environ["CHROMIUM_PATH"])
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def record(url, folder, module):
    """Une commande du cours (python -m snippets.<module>) lancée comme par un apprenant (le
    cours installé), vers le serveur, depuis folder."""
    result = subprocess.run(
        [sys.executable, "-m", f"snippets.{module}"],
        cwd=folder,
        env=learner_environment(MLFLOW_TRACKING_URI=url),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"snippets.{module} a échoué :\n{result.stderr[-3000:]}")


def record_single_runs(url, folder):
    """Les runs des pages locales qui précèdent la page « Tracking UI »."""
    for module in SINGLE_RUN_PAGES:
        record(url, folder, module)


def record_sweep(url, folder):
    """Le balayage de la page « Comparer les runs »."""
    record(url, folder, "sweep")


def record_further(url, folder):
    """Les pages « Aller plus loin » : données, réglage, évaluation, registre."""
    for module in FURTHER_PAGES:
        record(url, folder, module)


@contextlib.contextmanager
def browser(chromium, viewport=VIEWPORT, locale="en-US", timeout=30_000):
    """Une page de Chromium sans écran, qui ne joint aucune autre machine."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = instance.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(timeout)
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else route.abort()
            ),
        )
        try:
            yield context.new_page()
        finally:
            instance.close()


# Les étapes de la visite, dans l'ordre des pages.
# Chacune laisse la page dans l'état à capturer.


def close_side_panels(page):
    """Ferme le panneau MLflow Assistant, ouvert d'office à la première visite."""
    assistant = page.get_by_role("button", name="Close")
    if assistant.count() and assistant.first.is_visible():
        assistant.first.click()


def experiment_list(page, url):
    page.goto(f"{url}/#/experiments")
    page.get_by_role("link", name=EXPERIMENT_NAME).wait_for()
    close_side_panels(page)
    page.get_by_text("Model training", exact=True).click()
    page.get_by_role("link", name="Model registry").wait_for()


def runs_table(page, url):
    page.get_by_role("link", name=EXPERIMENT_NAME).click()
    page.get_by_text("matching runs").wait_for()
    page.locator(".ag-row").first.wait_for()
    # Columns : les métriques et les paramètres à comparer, sans colonnes inutiles.
    hidden = ["Dataset", "Source"]
    for column in hidden + ["accuracy", "sensitivity", "specificity", "C", "gamma"]:
        toggle_column(page, column)
    page.keyboard.press("Escape")
    page.locator("[role=columnheader][col-id='params.`gamma`']").first.wait_for()
    wait_until_stable(page, "matching runs")


def toggle_column(page, column):
    """Coche ou décoche une colonne dans le menu Columns, ouvert s'il le faut."""
    search = page.get_by_placeholder("Search columns")
    if not search.is_visible():
        page.get_by_role("button", name="Columns").click()
    search.fill(column)
    menu = page.locator("[data-radix-popper-content-wrapper]").last
    menu.get_by_text(column, exact=True).click()
    search.fill("")


def run_page(page, url):
    page.get_by_role("link", name=ONE_RUN).click()
    page.get_by_text("About this run").wait_for()
    page.get_by_text("Metrics (7)").wait_for()


def run_artifacts(page, url):
    page.get_by_role("tab", name="Artifacts").click()
    page.get_by_text(CONFUSION_MATRIX, exact=True).first.click()
    page.get_by_text(re.compile(rf"^Path: .*{re.escape(CONFUSION_MATRIX)}$")).wait_for()
    page.wait_for_function(  # l'aperçu de la figure, chargé
        "[...document.images].some(image => image.complete && image.naturalWidth > 300)"
    )


def logged_model(page, url):
    page.get_by_role("link", name="Models", exact=True).click()
    page.get_by_role("link", name="model", exact=True).first.click()
    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("MLmodel", exact=True).first.click()
    page.get_by_text("flavors:").first.wait_for()


def search_runs(page, url, filter_string):
    """Le tableau des runs de l'expérience, filtré par filter_string."""
    page.get_by_role("link", name="Runs", exact=True).click()
    search = page.get_by_placeholder(SEARCH_PLACEHOLDER)
    search.fill(filter_string)
    search.press("Enter")
    page.locator("[role=columnheader][col-id='params.`gamma`']").first.wait_for()
    wait_until_stable(page, "matching runs")


def filter_one_gamma(page, url):
    search_runs(page, url, GAMMA_FILTER)


def select_runs(page, url):
    page.get_by_label("Select all runs").click()
    page.get_by_role("button", name="Compare", exact=True).wait_for()


def compare(page, tab):
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_text("Comparing", exact=False).first.wait_for()
    page.get_by_role("tab", name=tab).click()


def choose(page, selector, option):
    page.locator(selector).click()
    page.get_by_role("option", name=option, exact=True).click()


def scatter_plot(page, url):
    compare(page, "Scatter Plot")
    choose(page, "#x-axis-selector", "C")
    choose(page, "#y-axis-selector", "accuracy")
    page.locator(".js-plotly-plot .g-xtitle").wait_for()


def contour_plot(page, url):
    search_runs(page, url, SWEEP_FILTER)
    select_runs(page, url)
    compare(page, "Contour Plot")
    choose(page, "#xaxis-selector", "C")
    choose(page, "#yaxis-selector", "gamma")
    choose(page, "#zaxis-selector", "sensitivity")
    page.locator(".js-plotly-plot .g-xtitle").wait_for()


def parallel_coordinates(page, url):
    page.get_by_role("tab", name="Parallel Coordinates Plot").click()
    metrics = page.locator(".du-bois-light-select-multiple").nth(1)
    metrics.click()
    for metric in ["sensitivity", "specificity"]:
        option = page.locator(".du-bois-light-select-item-option:visible", has_text=metric)
        option.first.click()
    page.keyboard.press("Escape")
    page.get_by_text("Comparing", exact=False).first.click()  # referme la liste
    page.locator(".js-plotly-plot .parcoords").first.wait_for()


def open_experiment(page, url, name):
    """Le tableau des runs d'une expérience, depuis la liste Experiments."""
    page.goto(f"{url}/#/experiments")
    page.get_by_role("link", name=name).click()
    page.get_by_text("matching runs").wait_for()
    page.locator(".ag-row").first.wait_for()
    close_side_panels(page)


def run_datasets(page, url):
    open_experiment(page, url, DATASETS_EXPERIMENT)
    page.get_by_role("link", name=DATASETS_RUN).click()
    page.get_by_text("About this run").wait_for()
    page.get_by_role("button", name=TRAINING_DATASET).first.click()
    page.get_by_text("Data details for").wait_for()
    page.get_by_text("2 datasets used").wait_for()


def parent_and_children(page, url):
    open_experiment(page, url, TUNING_EXPERIMENT)
    for column in ["Dataset", "Source", "Models", *STUDY_COLUMNS]:
        toggle_column(page, column)
    page.keyboard.press("Escape")
    parent = page.locator(".ag-row", has=page.get_by_role("link", name=STUDY_RUN))
    # Le bouton sans texte, à gauche du nom du run parent, qui déplie ses enfants.
    parent.locator("[col-id='attributes.`Run Name`'] button").first.click()
    page.get_by_role("link", name="essai-00").wait_for()
    wait_until_stable(page, "matching runs")


def evaluation_artifacts(page, url):
    open_experiment(page, url, EVALUATION_EXPERIMENT)
    page.get_by_role("link", name=EVALUATION_RUN).click()
    page.get_by_text("About this run").wait_for()
    page.get_by_role("tab", name="Artifacts").click()
    page.get_by_text(ROC_CURVE, exact=True).first.click()
    page.get_by_text(re.compile(rf"^Path: .*{re.escape(ROC_CURVE)}$")).wait_for()
    page.wait_for_function(
        "[...document.images].some(image => image.complete && image.naturalWidth > 300)"
    )


def registered_model(page, url):
    page.goto(f"{url}/#/experiments")
    close_side_panels(page)
    page.get_by_role("link", name="Model registry").click()
    page.get_by_text("Registered Models", exact=True).first.wait_for()
    # La fenêtre qui vante la nouvelle interface du registre, ouverte à la première visite.
    promotion = page.get_by_role("dialog")
    with contextlib.suppress(Exception):
        promotion.wait_for(timeout=3000)
    if promotion.count() and promotion.first.is_visible():
        promotion.first.get_by_role("button", name="Close").click()
        promotion.first.wait_for(state="hidden")
    page.get_by_role("link", name=REGISTERED_MODEL).first.click()
    page.get_by_text("Versions", exact=True).first.wait_for()
    page.get_by_text("@ champion").first.wait_for()


def wait_until_stable(page, text, tries=20):
    """Attend que le texte qui contient text cesse de changer (tableau rempli)."""
    previous = None
    for _ in range(tries):
        current = page.get_by_text(text).inner_text()
        if current == previous:
            return
        previous = current
        page.wait_for_timeout(300)


# Deux temps, comme dans le cours : les runs des premières pages locales, lus un par un
# (page « Tracking UI ») ; puis le balayage, comparé (page « Comparer les runs »).
STAGES = [
    (
        record_single_runs,
        [
            ("liste_experiences", experiment_list),
            ("tableau_runs", runs_table),
            ("page_run", run_page),
            ("artefacts_run", run_artifacts),
            ("logged_model", logged_model),
        ],
    ),
    (
        record_sweep,
        [
            ("filtre_gamma", filter_one_gamma),
            ("runs_selectionnes", select_runs),
            ("Comparing_metric_with_parameter_SVM", scatter_plot),
            ("courbes_de_niveau", contour_plot),
            ("coordonnees_paralleles", parallel_coordinates),
        ],
    ),
    (
        record_further,
        [
            ("jeux_de_donnees_run", run_datasets),
            ("runs_parent_enfants", parent_and_children),
            ("artefacts_evaluation", evaluation_artifacts),
            ("modele_enregistre", registered_model),
        ],
    ),
]
STEPS = [step for _, steps in STAGES for step in steps]


def save_png(png, path):
    """Une capture compressée : 256 couleurs suffisent à une interface."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.save(path, optimize=True)


def walk(page, url, folder, output, observe=None, log=None):
    """Enregistre chaque temps du cours sur le serveur url depuis folder, suit ses étapes,
    capture chacune dans output, puis appelle observe(nom, page) ; log(texte) suit la visite."""
    log = log or (lambda text: None)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    shots = []
    for record_stage, steps in STAGES:
        record_stage(url, folder)
        log(f"Runs enregistrés : {record_stage.__doc__.strip()}")
        for name, step in steps:
            try:
                step(page, url)
            except Exception as error:
                page.screenshot(path=output / f"{name}-erreur.png")
                raise RuntimeError(
                    f"Étape « {name} » : l'interface ne montre pas ce qu'attend la visite "
                    f"(capture : {output / f'{name}-erreur.png'})."
                ) from error
            page.mouse.move(0, VIEWPORT["height"] - 1)  # aucun survol sur la capture
            page.evaluate("document.activeElement?.blur()")  # ni cadre de focus
            page.wait_for_timeout(500)  # fin des animations des graphiques
            path = output / f"{name}.png"
            save_png(page.screenshot(animations="disabled"), path)
            shots.append(path)
            log(f"Capture : {path}")
            if observe:
                observe(name, page)
    return shots


def main(argv=None):
    parser = command_line(__spec__, "Captures d'écran du Tracking UI, prises dans Chromium.")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "Images",
        help="dossier des captures (par défaut : Images/ du cours)",
    )
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        sys.exit(CHROMIUM_HELP)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        with mlflow_server(folder) as url:
            print(f"Serveur MLflow prêt : {url} ({time.monotonic() - start:.0f} s)")
            with browser(chromium) as page:
                walk(page, url, folder, args.output, log=print)
    print(f"Visite terminée en {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
