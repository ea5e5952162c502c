"""Le matériel du site tiré de vrais runs, ajouté au site : la hook lance la génération
(tooling.website.generation, aussi une commande : python -m tooling.generate) en arrière-plan, et
chaque page n'attend que les étapes dont elle montre les fichiers ; elle met aussi dans les
pages les versions du cours, lues dans requirements.txt.

COURSE_REAL_RUNS=0 construit le site sans aucun run, avec des remplaçants (pour mesurer ce que
coûte la construction elle-même ; jamais pour publier).

COURSE_POLYCOPIE=FICHIER.pdf publie le polycopié avec le site (polycopie.pdf) et met sur la
page d'accueil, à la place de la marque POLYCOPIE_MARK, un encadré qui y mène.
"""

import logging
import os
import re
import sys
import threading
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tooling import versions  # noqa: E402
from tooling.website import generation, scheduler  # noqa: E402
from tooling.website.steps import STEPS  # noqa: E402

SWITCH = "COURSE_REAL_RUNS"
POLYCOPIE = "COURSE_POLYCOPIE"
POLYCOPIE_MARK = "<!-- polycopié -->"
POLYCOPIE_BOX = """!!! tip "Le cours en un seul PDF"
    Le [polycopié](polycopie.pdf) réunit toutes les pages du cours, dans l'ordre du site,
    avec leurs figures, leurs captures d'écran et les solutions des exercices. Imprimez-le,
    ou lisez-le hors ligne."""
INCLUDE = re.compile(r'^[ \t]*--8<-- "([^"/]+)"$', re.M)  # un fichier généré, sans dossier
log = logging.getLogger("mkdocs.hooks.real_runs")
# L'étape qui produit chaque fichier généré (local_data.txt → local, par exemple).
PRODUCER = {output: step.name for step in STEPS for output in step.outputs}


class Generation:
    """La génération de cette construction, dans un fil à part ; ready(étapes) attend."""

    def __init__(self, switch):
        if switch:
            self.dirs = {step.name: generation.CACHE / "placeholders" for step in STEPS}
        else:
            self.dirs = generation.step_dirs()
        self.events = {step.name: threading.Event() for step in STEPS}
        self.error = None
        self.thread = threading.Thread(target=self.run, args=(switch,), daemon=True)
        self.thread.start()

    def run(self, switch):
        try:
            generation.generate(log.info, switch, self.dirs, lambda n: self.events[n].set())
        except Exception as error:  # noqa: BLE001 (rapportée par la page qui attend)
            self.error = error
        finally:
            for event in self.events.values():
                event.set()

    def ready(self, names):
        for name in names:
            self.events[name].wait()
        if self.error:
            raise PluginError(f"La génération du matériel du site a échoué :\n{self.error}")


_generation = None


def polycopie():
    """Le PDF que COURSE_POLYCOPIE désigne, ou None sans la variable."""
    value = os.environ.get(POLYCOPIE)
    if not value:
        return None
    path = Path(value).resolve()
    if not path.is_file():
        raise PluginError(f"{POLYCOPIE}={value} : ce fichier n'existe pas.")
    return path


def with_polycopie(markdown, src_uri):
    """La page d'accueil : la marque remplacée par l'encadré du polycopié s'il est publié."""
    if src_uri != "index.md":
        return markdown
    if POLYCOPIE_MARK not in markdown:
        raise PluginError(f"index.md : la marque {POLYCOPIE_MARK} du polycopié manque.")
    return markdown.replace(POLYCOPIE_MARK, POLYCOPIE_BOX if polycopie() else "")


def on_startup(command, dirty):
    if command == "serve":  # prêt dès la première modification, sans attendre ses imports
        scheduler.start_fork_server()


def on_config(config):
    global _generation
    polycopie()  # un PDF absent arrête la construction avant tout run
    _generation = Generation(f"{SWITCH}=0" if os.environ.get(SWITCH) == "0" else None)
    # Les pages incluent les sorties générées avec pymdownx.snippets ; chemins absolus, pour
    # que le site se construise aussi quand mkdocs est lancé depuis un autre dossier.
    folders = sorted({str(path) for path in _generation.dirs.values()})
    config.mdx_configs.setdefault("pymdownx.snippets", {})["base_path"] = [str(ROOT), *folders]
    pins = versions.pinned()
    config.copyright = (
        f"Cours écrit pour MLflow {pins['mlflow']} et scikit-learn {pins['scikit-learn']}"
    )
    return config


@event_priority(100)  # avant mkdocs-jupyter, qui doit voir les notebooks générés
def on_files(files, config):
    added = {}
    for step in STEPS:
        for output in step.outputs:
            if output.endswith(".png"):
                added[f"figures/{output}"] = _generation.dirs[step.name] / output
            elif output.endswith(".ipynb"):
                added[output] = _generation.dirs[step.name] / output
    # Les captures d'écran du Tracking UI (python -m tooling.captures.ui_tour), dans Images/.
    for path in sorted((ROOT / "Images").glob("*.png")):
        added[f"images/{path.name}"] = path
    if polycopie():
        added["polycopie.pdf"] = polycopie()
    for uri, path in added.items():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def on_nav(nav, config, files):
    # mkdocs-jupyter enveloppe chaque notebook ; l'enveloppe d'un fichier généré perd le
    # chemin de sa source, qu'on lui redonne ici.
    for file in files:
        if file.src_uri.startswith("notebooks/") and getattr(file, "file", None) is not None:
            file.abs_src_path = file.file.abs_src_path
    return nav


def on_pre_page(page, config, files):
    if page.file.src_uri in PRODUCER:  # un notebook généré, lu juste après cet événement
        _generation.ready([PRODUCER[page.file.src_uri]])
    return page


def on_page_markdown(markdown, page, config, files):
    _generation.ready({PRODUCER[name] for name in INCLUDE.findall(markdown) if name in PRODUCER})
    markdown = with_polycopie(markdown, page.file.src_uri)
    try:
        return versions.fill(markdown)
    except KeyError as error:
        message = f"{page.file.src_uri} : paquet inconnu de requirements.txt, {error}"
        raise PluginError(message) from None


def on_env(env, config, files):
    _generation.ready(_generation.events)  # les figures sont copiées après cet événement
    return env
