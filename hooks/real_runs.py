"""Le matériel du site tiré de vrais runs, ajouté au site : la hook appelle la génération
(tooling.generate, une commande à elle seule), puis donne ses fichiers à MkDocs ; elle met
aussi dans les pages les versions du cours, lues dans requirements.txt.

COURSE_REAL_RUNS=0 construit le site sans aucun run, avec des remplaçants (pour mesurer ce que
coûte la construction elle-même ; jamais pour publier).
"""

import logging
import os
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tooling import generate, versions  # noqa: E402

SWITCH = "COURSE_REAL_RUNS"
log = logging.getLogger("mkdocs.hooks.real_runs")
_generated = {}


def on_config(config):
    switch = f"{SWITCH}=0" if os.environ.get(SWITCH) == "0" else None
    try:
        _generated.update(generate.generate(progress=log.info, switch=switch))
    except generate.GenerationError as error:
        raise PluginError(f"La génération du matériel du site a échoué :\n{error}") from None
    # Les pages incluent les sorties générées avec pymdownx.snippets ; chemins absolus, pour
    # que le site se construise aussi quand mkdocs est lancé depuis un autre dossier.
    snippets_config = config.mdx_configs.setdefault("pymdownx.snippets", {})
    snippets_config["base_path"] = [str(ROOT), *sorted({str(p) for p in _generated.values()})]
    pins = versions.pinned()
    config.copyright = (
        f"Cours écrit pour MLflow {pins['mlflow']} et scikit-learn {pins['scikit-learn']}"
    )
    return config


def on_page_markdown(markdown, page, config, files):
    try:
        return versions.fill(markdown)
    except KeyError as error:
        message = f"{page.file.src_uri} : paquet inconnu de requirements.txt, {error}"
        raise PluginError(message) from None


@event_priority(100)  # avant mkdocs-jupyter, qui doit voir les notebooks générés
def on_files(files, config):
    added = {}
    for folder in _generated.values():
        for path in sorted(folder.glob("*.png")):
            added[f"figures/{path.name}"] = path
        for path in sorted(folder.glob("notebooks/*.ipynb")):
            added[f"notebooks/{path.name}"] = path
    # Les captures d'écran du Tracking UI (python -m tooling.ui_tour), versionnées dans Images/.
    for path in sorted((ROOT / "Images").glob("*.png")):
        added[f"images/{path.name}"] = path
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
