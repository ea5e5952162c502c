"""Le matériel du site tiré de vrais runs MLflow : la sortie des blocs des pages, leurs figures,
le vrai fichier MLmodel et les trois notebooks, le local et « Aller plus loin » exécutés de haut
en bas.

    python -m tooling.generate [--placeholders]

Les étapes (tooling/website/steps/, une par module) :
- local : le notebook local, fait des blocs des pages locales (tooling.website.notebook_builder),
  exécuté de haut en bas par un vrai noyau Jupyter dans un dossier vide, comme un apprenant
  qui suit le cours dans l'ordre ; la sortie de chaque page est celle de ses cellules ;
- algorithms, autolog, datasets, tuning, evaluation et registry : chaque page, ses blocs
  collés dans l'ordre dans une même session, dans un dossier vide, comme un apprenant qui
  commence par elle ;
- further : le notebook « Aller plus loin » (données, réglage, évaluation, registre), exécuté
  de haut en bas dans un dossier vide ;
- databricks : le notebook Databricks, construit sans être exécuté ;
- migration et leaderboard : les messages de l'ancien code, le classement d'une classe.

Chaque étape a son cache, .cache/generated/<étape>/<empreinte>/, où l'empreinte couvre ce
qu'elle lit (tooling.website.cache_key) : le code qu'elle exécute (sections incluses), les
fichiers de snippets/ et de tooling/ qu'elle importe, et les versions installées. Modifier une
section ne refait que les étapes qui la montrent ; modifier les données (snippets/data.py),
que toutes les pages incluent, refait tout.

Les étapes à refaire tournent côte à côte (tooling.website.scheduler). Le dossier de l'apprenant
de chaque étape (cours-mlflow/, avec son mlflow.db) reste dans le cache : les tests relisent ce
que les pages ont enregistré.
"""

import json
import shutil
import sys
import time

from tooling import ROOT, command_line
from tooling.website import cache_key, runner
from tooling.website.maintainer_tools import hiding_path
from tooling.website.scheduler import GenerationError, run_steps
from tooling.website.steps import STEPS

CACHE = ROOT / ".cache" / "generated"
MANIFEST = CACHE / "manifest.json"
KEPT = 2  # versions gardées de chaque étape


def placeholders(switch):
    """Des remplaçants des fichiers générés, aux mêmes noms, faits sans rien exécuter."""
    out = CACHE / "placeholders"
    shutil.rmtree(out, ignore_errors=True)
    (out / "notebooks").mkdir(parents=True)
    stand_in = sorted((ROOT / "Images").glob("*.png"))[0]
    for step in STEPS:
        for name in step.outputs:
            if name.endswith(".png"):
                shutil.copy(stand_in, out / name)
            elif name.endswith(".ipynb"):
                (out / name).write_text(runner.built_notebook(step.notebook))
            else:
                (out / name).write_text(f"(sortie non générée : {switch})\n")
    return {step.name: out for step in STEPS}


def step_dirs():
    """{étape: son dossier} pour l'état actuel du code et des versions (fait ou à faire)."""
    runner.forget_notebooks()  # mkdocs serve garde ces modules d'une construction à l'autre
    cache_key.forget_versions()
    return {step.name: CACHE / step.name / step.key() for step in STEPS}


def prune(dirs):
    """Garde KEPT versions de chaque étape : celle de dirs, et la plus récente des autres
    (annuler une modification ne refait rien)."""
    for step in STEPS:
        versions = sorted(
            (path for path in (CACHE / step.name).iterdir() if path != dirs[step.name]),
            key=lambda path: path.stat().st_mtime,
            reverse=True,
        )
        for old in versions[KEPT - 1 :]:
            shutil.rmtree(old, ignore_errors=True)


def generate(progress=print, switch=None, dirs=None, done=None):
    """Fait ce qui manque au cache ; renvoie {étape: dossier de ses fichiers}. done(étape) est
    appelé dès qu'une étape est prête, en cache ou faite."""
    done = done or (lambda name: None)
    if switch:
        progress(f"{switch} : aucun run réel, sorties et figures remplacées.")
        dirs = placeholders(switch)
        for name in dirs:
            done(name)
        return dirs
    started = time.monotonic()
    dirs = dirs or step_dirs()
    stale = [step for step in STEPS if not (dirs[step.name] / "DONE").exists()]
    stale.sort(key=lambda step: -step.cost)
    progress(
        f"Génération : {len(STEPS)} étapes, {len(STEPS) - len(stale)} en cache, "
        f"{len(stale)} à faire."
    )
    for step in STEPS:
        if step not in stale:
            done(step.name)
    if stale:
        hiding_path()
        run_steps(stale, dirs, progress, done)
        progress(f"Génération terminée en {time.monotonic() - started:.1f} s.")
    prune(dirs)
    MANIFEST.write_text(json.dumps({name: str(path) for name, path in dirs.items()}, indent=1))
    return dirs


def main(argv=None):
    parser = command_line("tooling.generate", "Le matériel du site, tiré de vrais runs MLflow.")
    parser.add_argument(
        "--placeholders", action="store_true", help="des remplaçants, sans aucun run"
    )
    args = parser.parse_args(argv)
    try:
        dirs = generate(switch="--placeholders" if args.placeholders else None)
    except GenerationError as error:
        sys.exit(str(error))
    for name, path in dirs.items():
        print(f"{name:<12} {path}")
