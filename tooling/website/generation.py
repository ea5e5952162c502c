"""Le matériel du site tiré de vrais runs MLflow : la sortie des blocs des pages, leurs figures,
le vrai fichier MLmodel et les trois notebooks, le local et « Aller plus loin » exécutés de haut
en bas.

    python -m tooling.generate [--placeholders]

Tout ce que montrent les pages est publié dans docs/generated/ (tooling.website.generated_folder),
que mkdocs.yml nomme : une fois la commande passée, mkdocs build construit le site sans hook.

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
from tooling.website import cache_key, generated_folder, runner
from tooling.website.maintainer_tools import hiding_path
from tooling.website.scheduler import GenerationError, run_steps
from tooling.website.steps import STEP_BY_NAME, STEPS

CACHE = ROOT / ".cache" / "generated"
MANIFEST = CACHE / "manifest.json"
KEPT = 2  # versions gardées de chaque étape


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


def generate(progress=print, reason=None, dirs=None, done=None):
    """Fait ce qui manque au cache et le publie dans docs/generated/ (generated_folder) ;
    renvoie {étape: dossier de ses fichiers}. done(étape) est appelé dès qu'une étape est
    publiée, en cache ou faite. reason : aucun run, des remplaçants qui donnent cette raison."""
    done = done or (lambda name: None)
    generated_folder.publish_common()
    if reason:
        progress(f"{reason} : aucun run réel, sorties et figures remplacées.")
        for step in STEPS:
            generated_folder.stand_ins(step, reason)
            done(step.name)
        return None
    dirs = dirs or step_dirs()
    stale = [step.name for step in STEPS if not (dirs[step.name] / "DONE").exists()]
    progress(
        f"Génération : {len(STEPS)} étapes, {len(STEPS) - len(stale)} en cache, "
        f"{len(stale)} à faire."
    )

    def published(name, folder):
        generated_folder.publish(STEP_BY_NAME[name], folder)
        done(name)

    for step in STEPS:
        if step.name not in stale:
            published(step.name, dirs[step.name])
    run_stale(dirs, stale, progress, published)
    return dirs


def run_stale(dirs, stale, progress, published):
    """Fait les étapes stale (des noms), chacune dans dirs[son nom] ; published(nom, dossier)
    dès que l'une est faite. GenerationError si des étapes échouent."""
    if stale:
        started = time.monotonic()
        hiding_path()
        steps = sorted((STEP_BY_NAME[name] for name in stale), key=lambda step: -step.cost)
        run_steps(steps, dirs, progress, lambda name: published(name, dirs[name]))
        progress(f"Génération terminée en {time.monotonic() - started:.1f} s.")
    prune(dirs)
    MANIFEST.write_text(json.dumps({name: str(path) for name, path in dirs.items()}, indent=1))


def main(argv=None):
    parser = command_line("tooling.generate", "Le matériel du site, tiré de vrais runs MLflow.")
    parser.add_argument(
        "--placeholders", action="store_true", help="des remplaçants, sans aucun run"
    )
    args = parser.parse_args(argv)
    try:
        dirs = generate(reason="--placeholders" if args.placeholders else None)
    except (GenerationError, generated_folder.PolycopieMissing) as error:
        sys.exit(str(error))
    for name, path in (dirs or {}).items():
        print(f"{name:<12} {path}")
    print(
        f"Le site peut être construit : {generated_folder.GENERATED.relative_to(ROOT)}/ est prêt."
    )
