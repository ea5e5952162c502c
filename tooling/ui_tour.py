"""Visite du Tracking UI dans un vrai navigateur : les captures d'écran du cours.

    python -m tooling.ui_tour [--output Images]

La commande lance un vrai `mlflow server` sur un magasin temporaire (127.0.0.1, port
libre), y enregistre le balayage du cours (`python -m snippets.sweep`), puis suit dans
Chromium sans écran les étapes que décrivent les pages « Tracking UI » et « Comparer les
runs ». Elle enregistre une capture d'écran par étape dans le dossier de sortie.
"""

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from snippets.first_run import EXPERIMENT_NAME
from snippets.sweep import SWEEP_TAG
from tooling import ROOT
from tooling.processes import learner_environment, mlflow_server

VIEWPORT = {"width": 1440, "height": 900}
BEST_RUN = "meilleur-reglage"
SWEEP_FILTER = "tags.{} = '{}'".format(*next(iter(SWEEP_TAG.items())))
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


def record_sweep(url, folder):
    """Le balayage du cours lancé comme par un apprenant (le cours installé), vers le
    serveur, depuis folder."""
    result = subprocess.run(
        [sys.executable, "-m", "snippets.sweep"],
        cwd=folder,
        env=learner_environment(MLFLOW_TRACKING_URI=url),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Le balayage a échoué :\n{result.stderr[-3000:]}")


@contextlib.contextmanager
def browser(chromium):
    """Une page de Chromium sans écran, qui ne joint aucune autre machine."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = instance.new_context(viewport=VIEWPORT, locale="en-US")
        context.set_default_timeout(30_000)
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
    search = page.get_by_placeholder(SEARCH_PLACEHOLDER)
    search.fill(SWEEP_FILTER)
    search.press("Enter")
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


def select_sweep_runs(page, url):
    page.get_by_label("Select all runs").click()
    page.get_by_role("button", name="Compare", exact=True).wait_for()


def choose(page, selector, option):
    page.locator(selector).click()
    page.get_by_role("option", name=option, exact=True).click()


def scatter_plot(page, url):
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_text("Comparing", exact=False).first.wait_for()
    page.get_by_role("tab", name="Scatter Plot").click()
    choose(page, "#x-axis-selector", "C")
    choose(page, "#y-axis-selector", "accuracy")
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


def run_page(page, url):
    page.get_by_role("link", name="Runs", exact=True).click()
    search = page.get_by_placeholder(SEARCH_PLACEHOLDER)
    search.fill("")
    search.press("Enter")
    page.get_by_role("link", name=BEST_RUN).click()
    page.get_by_text("Logged models").wait_for()


def logged_model(page, url):
    page.get_by_role("link", name="Models", exact=True).click()
    page.get_by_role("link", name="model", exact=True).first.click()
    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("MLmodel", exact=True).first.click()
    page.get_by_text("flavors:").first.wait_for()


def wait_until_stable(page, text, tries=20):
    """Attend que le texte qui contient text cesse de changer (tableau rempli)."""
    previous = None
    for _ in range(tries):
        current = page.get_by_text(text).inner_text()
        if current == previous:
            return
        previous = current
        page.wait_for_timeout(300)


STEPS = [
    ("liste_experiences", experiment_list),
    ("tableau_runs", runs_table),
    ("runs_selectionnes", select_sweep_runs),
    ("Comparing_metric_with_parameter_SVM", scatter_plot),
    ("coordonnees_paralleles", parallel_coordinates),
    ("page_run", run_page),
    ("logged_model", logged_model),
]


def save_png(png, path):
    """Une capture compressée : 256 couleurs suffisent à une interface."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.save(path, optimize=True)


def walk(page, url, output, observe=None):
    """Suit les étapes, capture chacune dans output, puis appelle observe(nom, page)."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    shots = []
    for name, step in STEPS:
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
        if observe:
            observe(name, page)
    return shots


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tooling.ui_tour",
        description="Captures d'écran du Tracking UI, prises dans Chromium sans écran.",
    )
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
            record_sweep(url, folder)
            print(f"Balayage enregistré ({time.monotonic() - start:.0f} s)")
            with browser(chromium) as page:
                for path in walk(page, url, args.output):
                    print(f"Capture : {path}")
    print(f"Visite terminée en {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
