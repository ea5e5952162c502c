"""La génération pendant mkdocs serve : le site est servi tout de suite, avec des remplaçants
qui le disent pour ce qui n'est pas prêt ; la génération tourne dans un fil à part et publie
chaque étape dans docs/generated/ dès qu'elle est faite. mkdocs serve surveille docs/ : chaque
étape publiée reconstruit le site et recharge la page du navigateur.

Une modification du code (que mkdocs serve surveille aussi) relance refresh() : les étapes
dont l'empreinte a changé reprennent des remplaçants, puis leurs vrais fichiers. Une étape en
échec le dit sur ses pages et dans le terminal ; les autres continuent.

Ce module reste chargé d'une reconstruction à l'autre (la hook, elle, est rechargée).
"""

import sys
import threading

from tooling.website import generated_folder, generation
from tooling.website.scheduler import GenerationError
from tooling.website.steps import STEP_BY_NAME, STEPS


class LiveGeneration:
    def __init__(self, progress):
        self.progress = progress
        self.lock = threading.Lock()  # publier : un seul fil à la fois
        self.wanted = threading.Event()  # refresh() demandé depuis le dernier tour
        self.dirs = {}  # le dossier de chaque étape pour le code d'aujourd'hui
        self.failed = {}  # {étape: son dossier} des étapes en échec, pour ce code-là
        self.thread = threading.Thread(target=self.loop, daemon=True, name="generation")
        self.started = False

    def refresh(self):
        """À chaque construction de mkdocs serve, avant qu'elle lise docs/generated/ :
        chaque étape y a ses vrais fichiers, ou des remplaçants ; la suite se fait à part."""
        dirs = generation.step_dirs()
        generated_folder.publish_common()
        with self.lock:
            self.dirs = dirs
            for step in STEPS:
                folder = dirs[step.name]
                if (folder / "DONE").exists():
                    generated_folder.publish(step, folder)
                elif self.failed.get(step.name) == folder:
                    generated_folder.stand_ins(step, generated_folder.FAILED)
                else:
                    generated_folder.stand_ins(step, generated_folder.COMING)
        if any(not (folder / "DONE").exists() for folder in dirs.values()):
            self.wanted.set()
        if not self.started:
            self.started = True
            self.thread.start()

    def loop(self):
        while True:
            self.wanted.wait()
            self.wanted.clear()
            with self.lock:
                dirs = dict(self.dirs)
            stale = {
                name: folder
                for name, folder in dirs.items()
                if not (folder / "DONE").exists() and self.failed.get(name) != folder
            }
            if not stale:
                continue
            try:
                generation.run_stale(dirs, stale, self.progress, self.published)
            except GenerationError as error:
                for name in error.failed:
                    self.failure(name, dirs[name])
                print(f"ERREUR   -  La génération du site a échoué :\n{error}", file=sys.stderr)
            except Exception as error:  # noqa: BLE001 (dit dans le terminal ; serve continue)
                print(f"ERREUR   -  La génération du site s'est arrêtée : {error}", file=sys.stderr)

    def published(self, name, folder):
        """Une étape faite : publiée si elle vaut encore pour le code d'aujourd'hui."""
        with self.lock:
            if self.dirs.get(name) == folder:
                generated_folder.publish(STEP_BY_NAME[name], folder)

    def failure(self, name, folder):
        with self.lock:
            self.failed[name] = folder
            if self.dirs.get(name) == folder:
                generated_folder.stand_ins(STEP_BY_NAME[name], generated_folder.FAILED)


_live = None


def refresh(progress):
    """La génération de ce processus mkdocs serve, créée au premier appel."""
    global _live
    if _live is None:
        _live = LiveGeneration(progress)
    _live.refresh()
