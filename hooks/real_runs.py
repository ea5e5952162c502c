"""Une fine adaptation de MkDocs à la génération du matériel du site (tooling.website), qui
publie tout ce que les pages montrent dans docs/generated/ ; mkdocs.yml nomme ce dossier, et
mkdocs build le lit sans cette hook une fois `python -m tooling.generate` passé.

- mkdocs serve : le site est servi tout de suite, avec des remplaçants qui le disent ; la
  génération tourne à part (tooling.website.live) et chaque étape finie recharge la page ;
- mkdocs build : la génération d'abord, entière ; une étape en échec arrête la construction.

COURSE_REAL_RUNS=0 construit le site sans aucun run, avec des remplaçants (pour mesurer ce que
coûte la construction elle-même ; jamais pour publier). COURSE_POLYCOPIE=FICHIER.pdf publie le
polycopié avec le site et met sur la page d'accueil un encadré qui y mène.
"""

import logging
import os

from mkdocs.exceptions import PluginError

from tooling.website import generated_folder, generation, live, scheduler

SWITCH = "COURSE_REAL_RUNS"
log = logging.getLogger("mkdocs.hooks.real_runs")
_command = None


def on_startup(command, dirty):
    global _command
    _command = command
    if command == "serve":  # prêt dès la première étape, sans attendre ses imports
        scheduler.start_fork_server()


def on_config(config):
    reason = f"{SWITCH}=0" if os.environ.get(SWITCH) == "0" else None
    try:
        if _command == "serve" and not reason:
            live.refresh(log.info)
        else:
            generation.generate(log.info, reason)
    except (scheduler.GenerationError, generated_folder.PolycopieMissing) as error:
        raise PluginError(f"La génération du matériel du site a échoué :\n{error}") from None
    return config
