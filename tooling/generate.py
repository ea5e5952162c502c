"""Le matériel du site tiré de vrais runs MLflow : la sortie des blocs des pages, leurs figures,
le vrai fichier MLmodel et les trois notebooks, le local et « Aller plus loin » exécutés de haut
en bas.

    python -m tooling.generate [--placeholders]

Les étapes :
- local : le notebook local, fait des blocs des pages locales (tooling/notebooks.py), exécuté
  de haut en bas par un vrai noyau Jupyter dans un dossier vide, comme un apprenant qui suit
  le cours dans l'ordre ; la sortie de chaque page est celle de ses cellules ;
- algorithms, autolog, datasets, tuning, evaluation et registry : chaque page, ses blocs
  collés dans l'ordre dans une même session, dans un dossier vide, comme un apprenant qui
  commence par elle ;
- further : le notebook « Aller plus loin » (données, réglage, évaluation, registre), exécuté
  de haut en bas dans un dossier vide ;
- databricks : le notebook Databricks, construit sans être exécuté.

Chaque étape a son cache, .cache/generated/<étape>/<empreinte>/, où l'empreinte couvre ce dont
elle dépend : le code qu'elle exécute (sections incluses), le code de tooling/ qui la produit
et les versions installées. Modifier une section ne refait que les étapes qui la montrent ;
modifier les données (snippets/data.py), que toutes les pages incluent, refait tout.

Les étapes à refaire tournent côte à côte : le notebook dans son noyau, les pages dans des
processus tirés d'un serveur de fork qui a déjà importé MLflow et scikit-learn. Le dossier de
l'apprenant de chaque étape (cours-mlflow/, avec son mlflow.db) reste dans le cache : les
tests relisent ce que les pages ont enregistré.
"""

import argparse
import concurrent.futures
import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from tooling import ROOT, leaderboard, migration
from tooling.learner_env import HIDDEN_DIR, hiding_path
from tooling.processes import learner_environment
from tooling.sections import python_blocks

CACHE = ROOT / ".cache" / "generated"
MANIFEST = CACHE / "manifest.json"
WORKDIR = "cours-mlflow"  # le dossier de l'apprenant ; son chemin paraît dans le vrai MLmodel
VERSIONED = ("mlflow", "scikit-learn", "skops", "matplotlib", "pandas", "numpy", "nbclient")
# Ce qu'importe le serveur de fork avant de lancer les étapes : chaque étape en hérite.
PRELOAD = [
    "mlflow",
    "mlflow.sklearn",
    "mlflow.store.tracking.sqlalchemy_store",  # le magasin SQLite et ses migrations
    "alembic.command",
    "skops.io",
    "sklearn.datasets",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.naive_bayes",
    "sklearn.neighbors",
    "sklearn.neural_network",
    "sklearn.svm",
    "sklearn.tree",
    "matplotlib.pyplot",
    "nbformat",
    "tooling.figures",
]
# Le code des étapes (sans les captures ni les mesures, qui ne changent rien aux pages).
STEP_CODE = ["generate", "figures", "learner_env", "notebooks", "processes", "sections"]
WORKERS = 2  # les deux cœurs des machines du cours
KEPT = 2  # versions gardées de chaque étape
FEATURES = ["mean radius", "mean texture", "mean concave points", "worst area"]
LOCAL_PAGES = ["data.md", "local/first-run.md", "local/metrics.md"]
LOCAL_PAGES += ["local/logged-model.md", "local/sweep.md"]
VERIFIED_PAGES = ["--page", "first-run", "--page", "metrics", "--page", "logged-model"]
VERIFIED_PAGES += ["--page", "sweep"]


def output_name(page):
    """La sortie d'une page : output_<son module>.txt (la règle page → module du README)."""
    return f"output_{Path(page).stem.replace('-', '_')}.txt"


@dataclass
class Step:
    name: str
    outputs: list = field(default_factory=list)
    page: str = None  # une page exécutée seule (sous docs/)
    notebook: str = None  # ou un notebook
    execute: bool = False
    finish: object = None  # ce que l'étape tire ensuite de son magasin
    cost: int = 1  # pour lancer d'abord les plus longues
    code: list = field(default_factory=list)  # ou des fichiers du dépôt qu'elle exécute

    def key(self):
        """L'empreinte de ce dont l'étape dépend."""
        digest = hashlib.sha256(self.name.encode())
        if self.page:
            digest.update("\n\n".join(python_blocks(ROOT / "docs" / self.page)).encode())
        elif self.notebook:
            digest.update(built_notebook(self.notebook).encode())
        for path in self.code:
            digest.update((ROOT / path).read_bytes())
        for name in STEP_CODE:
            digest.update((ROOT / "tooling" / f"{name}.py").read_bytes())
        for name in VERSIONED:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        digest.update(sys.version.encode())
        return digest.hexdigest()[:16]


# Ce que chaque étape tire de son magasin, dans un processus de travail, après ses runs.
def finish_local(out, folder):
    import mlflow
    import nbformat
    from mlflow import MlflowClient
    from sklearn.datasets import load_breast_cancer

    from tooling import figures

    notebook = nbformat.read(out / "notebooks" / "cours-local.ipynb", as_version=4)
    printed = {page: "" for page in LOCAL_PAGES}
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("course_page"):
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            printed[cell.metadata["course_page"]] += text
    for page, text in printed.items():
        (out / output_name(page)).write_text(text)

    client = MlflowClient(store_uri(folder))
    [experiment] = experiments(client)
    # Le vrai MLmodel et les dépendances du modèle de la page « Le modèle MLflow » : le
    # premier Logged Model du notebook (le second est celui du meilleur réglage).
    [model, *_] = client.search_logged_models(
        [experiment], order_by=[{"field_name": "creation_time", "ascending": True}]
    )
    with tracking(folder):
        model_dir = Path(mlflow.artifacts.download_artifacts(f"models:/{model.model_id}"))
    shutil.copy(model_dir / "MLmodel", out / "MLmodel")
    shutil.copy(model_dir / "requirements.txt", out / "model_requirements.txt")
    # L'artefact de la page « Sept métriques », et la figure qu'écrit la page « Comparer ».
    [run] = client.search_runs([experiment], "attributes.run_name = 'sept-metriques'")
    local = client.download_artifacts(run.info.run_id, "confusion_matrix.png", str(out))
    Path(local).rename(out / "matrice_confusion.png")
    shutil.copy(folder / "metriques_selon_C.png", out / "metriques_selon_C.png")
    with tracking(folder):
        runs = mlflow.search_runs([experiment], "tags.sweep = 'C-gamma'")
    figures.save(figures.plot_heatmap(runs, "sensitivity"), out / "sensibilite_C_gamma.png")
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    figures.save(figures.plot_class_balance(target), out / "equilibre_classes.png")
    figures.save(
        figures.plot_feature_distributions(features, target, FEATURES),
        out / "distributions.png",
    )
    # Ce que répond la vérification du travail après les pages locales (page « Comparer »).
    verified = subprocess.run(
        [sys.executable, "-m", "snippets.verifier", *VERIFIED_PAGES],
        cwd=folder, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if verified.returncode != 0:
        raise RuntimeError(f"La vérification refuse les pages locales :\n{verified.stdout}")
    (out / "output_verifier.txt").write_text(verified.stdout)


def finish_algorithms(out, folder):
    import mlflow
    from mlflow import MlflowClient

    from tooling import figures

    with tracking(folder):
        runs = mlflow.search_runs(experiment_ids=experiments(MlflowClient(store_uri(folder))))
    figures.save(figures.plot_families(runs), out / "algorithmes.png")


# Les figures de mlflow.models.evaluate montrées par la page « Évaluer le modèle choisi ».
EVALUATION_FIGURES = {
    "confusion_matrix.png": "evaluation_matrice_confusion.png",
    "roc_curve_plot.png": "evaluation_courbe_roc.png",
    "precision_recall_curve_plot.png": "evaluation_courbe_precision_rappel.png",
}


def finish_evaluation(out, folder):
    from mlflow import MlflowClient

    client = MlflowClient(store_uri(folder))
    [run] = client.search_runs(
        experiments(client), "attributes.run_name = 'evaluation-modele-choisi'"
    )
    for artifact, name in EVALUATION_FIGURES.items():
        local = client.download_artifacts(run.info.run_id, artifact, str(out))
        Path(local).rename(out / name)


STEPS = [
    Step("local", [
        "notebooks/cours-local.ipynb", *map(output_name, LOCAL_PAGES), "MLmodel",
        "model_requirements.txt", "matrice_confusion.png", "metriques_selon_C.png",
        "sensibilite_C_gamma.png", "equilibre_classes.png", "distributions.png",
        "output_verifier.txt",
    ], notebook="cours-local", execute=True, finish=finish_local, cost=9,
        code=["snippets/verifier.py", "snippets/cli.py"]),
    Step("databricks", ["notebooks/cours-databricks.ipynb"], notebook="cours-databricks",
         cost=0),
    Step("autolog", ["output_autolog.txt"], page="autolog.md", cost=8),
    Step("algorithms", ["output_algorithms.txt", "algorithmes.png"], page="algorithms.md",
         finish=finish_algorithms, cost=7),
    Step("datasets", ["output_datasets.txt"], page="datasets.md", cost=2),
    Step("tuning", ["output_tuning.txt"], page="tuning.md", cost=3),
    Step("evaluation", ["output_evaluation.txt", *EVALUATION_FIGURES.values()],
         page="evaluation.md", finish=finish_evaluation, cost=4),
    Step("registry", ["output_registry.txt"], page="registry.md", cost=4),
    Step("further", ["notebooks/cours-plus-loin.ipynb"], notebook="cours-plus-loin",
         execute=True, cost=6),
    Step("migration", migration.OUTPUTS, finish=migration.record,
         code=["snippets/migration.py", "tooling/migration.py"], cost=2),
    Step("leaderboard", leaderboard.OUTPUTS, finish=leaderboard.record,
         code=["snippets/leaderboard.py", "tooling/leaderboard.py", "snippets/train.py",
               "snippets/verifier.py", "snippets/cli.py"], cost=1),
]  # fmt: skip
STEP_BY_NAME = {step.name: step for step in STEPS}
BASE_ENV = dict(os.environ)


def store_uri(folder):
    return f"sqlite:///{Path(folder) / 'mlflow.db'}"


def experiments(client):
    """Les identifiants des expériences d'un magasin, sauf Default (vide dans le cours)."""
    return [e.experiment_id for e in client.search_experiments() if e.name != "Default"]


@contextlib.contextmanager
def tracking(folder):
    import mlflow

    mlflow.set_tracking_uri(store_uri(folder))
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)


_notebooks = {}


def built_notebook(name):
    """Le texte d'un notebook construit à partir des pages et des sections (sans sorties)."""
    if name not in _notebooks:
        from tooling import notebooks

        with tempfile.TemporaryDirectory() as folder:
            for path in notebooks.build(folder):
                _notebooks[path.stem] = path.read_text()
    return _notebooks[name]


def as_a_learner(out):
    """Dans un processus de travail : son journal dans out/step.log, l'environnement d'un
    apprenant (sans les outils des mainteneurs), des figures sans écran."""
    log = open(out / "step.log", "ab")  # noqa: SIM115 (le processus s'arrête après l'étape)
    os.dup2(log.fileno(), 1)  # ce qu'écrivent MLflow et ses sous-processus
    os.dup2(log.fileno(), 2)
    os.environ.clear()
    os.environ.update(learner_environment(BASE_ENV, PYTHONPATH=str(HIDDEN_DIR)))
    runpy.run_path(str(HIDDEN_DIR / "sitecustomize.py"))  # et dans ce processus-ci
    import matplotlib

    matplotlib.use("Agg")


def run_page(page, out):
    """Dans un processus de travail : les blocs de la page, collés dans l'ordre dans une même
    session, dans un dossier vide (out/cours-mlflow) ; ce qu'ils affichent va dans
    out/output_<module>.txt."""
    out = Path(out)
    folder = out / WORKDIR
    folder.mkdir(parents=True)
    as_a_learner(out)
    os.chdir(folder)
    code = "\n\n".join(python_blocks(ROOT / "docs" / page))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(ROOT / "docs" / page), "exec"), {"__name__": "__main__"})
    (out / output_name(page)).write_text(printed.getvalue())


def run_step(name, out):
    """Dans un processus de travail : la page de l'étape, ou ce qu'elle tire de son magasin."""
    step = STEP_BY_NAME[name]
    if step.page:
        run_page(step.page, out)
    else:
        as_a_learner(Path(out))
    if step.finish:
        step.finish(Path(out), Path(out) / WORKDIR)


def run_notebook(step, out):
    """Le notebook, exécuté de haut en bas par un vrai noyau Jupyter, dans un dossier vide."""
    import nbformat
    from nbclient import NotebookClient

    folder = out / WORKDIR
    folder.mkdir(parents=True)
    notebook = nbformat.reads(built_notebook(step.notebook), as_version=4)
    if step.execute:
        env = learner_environment(BASE_ENV, PYTHONPATH=str(HIDDEN_DIR))
        env.pop("MPLBACKEND")  # le noyau affiche les figures dans le notebook
        client = NotebookClient(
            notebook, timeout=600, resources={"metadata": {"path": str(folder)}}
        )
        with open(out / "step.log", "wb") as log:  # ce que le noyau écrit lui-même
            client.execute(env=env, stdout=log, stderr=log)
        # Comme la sortie des pages : ce qu'affiche le code, sans les avertissements.
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    (out / "notebooks").mkdir()
    nbformat.write(notebook, out / "notebooks" / f"{step.notebook}.ipynb")


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
                (out / name).write_text(built_notebook(step.notebook))
            else:
                (out / name).write_text(f"(sortie non générée : {switch})\n")
    return {step.name: out for step in STEPS}


class GenerationError(Exception):
    pass


def step_dirs():
    """{étape: son dossier} pour l'état actuel du code et des versions (fait ou à faire)."""
    _notebooks.clear()  # mkdocs serve garde ce module d'une construction à l'autre
    return {step.name: CACHE / step.name / step.key() for step in STEPS}


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
    for step in STEPS:  # la version d'avant reste : annuler une modification ne refait rien
        versions = sorted(
            (path for path in (CACHE / step.name).iterdir() if path != dirs[step.name]),
            key=lambda path: path.stat().st_mtime,
            reverse=True,
        )
        for old in versions[KEPT - 1 :]:
            shutil.rmtree(old, ignore_errors=True)
    MANIFEST.write_text(json.dumps({name: str(path) for name, path in dirs.items()}, indent=1))
    return dirs


def start_fork_server():
    """Le serveur de fork, lancé une fois par processus : il importe PRELOAD en arrière-plan,
    puis chaque étape en part toute prête. mkdocs serve le lance dès son démarrage et le
    garde d'une reconstruction à l'autre."""
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    # Chaque étape reprend le sys.path de ce processus-ci : il doit y trouver tooling (MkDocs
    # retire de sys.path le dossier de ses hooks une fois qu'il les a chargés).
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    forkserver.ensure_running()
    return context


@contextlib.contextmanager
def worker_pool():
    """Deux processus de travail à la fois, tirés du serveur de fork."""
    context = start_fork_server()
    with concurrent.futures.ProcessPoolExecutor(
        WORKERS, mp_context=context, max_tasks_per_child=1
    ) as pool:
        yield pool


def run_steps(stale, dirs, progress, done):
    total, lock, origin = len(stale), threading.Lock(), time.monotonic()
    numbers = {step.name: number for number, step in enumerate(stale, 1)}
    failures, executed = [], []

    def log(step, text):
        with lock:
            progress(f"Génération [{numbers[step.name]}/{total}] {step.name} : {text}")

    def failed(step, error, note=""):
        with lock:
            failures.append((step, f"{error}{note}"))

    def execute(step):
        try:
            run_notebook(step, dirs[step.name])
        except Exception:  # noqa: BLE001 (rapporté avec les autres échecs)
            failed(step, traceback.format_exc())
            return
        executed.append(step)
        if not step.finish:
            (dirs[step.name] / "DONE").touch()
            log(step, f"{time.monotonic() - since[step.name]:.1f} s")
            done(step.name)

    since = {}
    threads = []
    for step in stale:
        shutil.rmtree(dirs[step.name], ignore_errors=True)
        dirs[step.name].mkdir(parents=True)
        if step.notebook:
            since[step.name] = time.monotonic()
            log(step, f"commencée ({since[step.name] - origin:.0f} s)")
            threads.append(threading.Thread(target=execute, args=(step,)))
            threads[-1].start()
    # Les tâches des processus de travail : les pages, puis ce que les notebooks exécutés
    # laissent à tirer de leur magasin, dès qu'ils ont fini.
    waiting = [step for step in stale if not step.notebook]  # pages, et ce qui s'exécute seul
    to_finish = [step for step in stale if step.notebook and step.finish]
    if waiting or to_finish:
        with worker_pool() as pool:
            running = {}
            while waiting or running or to_finish:
                ready = [step for step in to_finish if step in executed]
                while (waiting or ready) and len(running) < WORKERS:
                    step = ready.pop(0) if ready else waiting.pop(0)
                    if step in to_finish:
                        to_finish.remove(step)
                    else:
                        since[step.name] = time.monotonic()
                        log(step, f"commencée ({since[step.name] - origin:.0f} s)")
                    future = pool.submit(run_step, step.name, str(dirs[step.name]))
                    running[future] = step
                if to_finish and all(not thread.is_alive() for thread in threads):
                    to_finish = [step for step in to_finish if step in executed]
                if not running:  # seul un notebook tourne encore
                    time.sleep(0.2)
                    continue
                completed, _ = concurrent.futures.wait(
                    running, timeout=0.5, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in completed:
                    step = running.pop(future)
                    if future.exception() is not None:
                        journal = dirs[step.name] / "step.log"
                        tail = (
                            journal.read_text(errors="replace")[-3000:] if journal.exists() else ""
                        )
                        failed(step, repr(future.exception()), f"\n{tail}")
                    else:
                        (dirs[step.name] / "DONE").touch()
                        log(step, f"{time.monotonic() - since[step.name]:.1f} s")
                        done(step.name)
    for thread in threads:
        thread.join()
    if failures:
        for step, _ in failures:
            shutil.rmtree(dirs[step.name], ignore_errors=True)
        raise GenerationError(
            "\n\n".join(f"Étape {step.name} en échec :\n{error}" for step, error in failures)
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tooling.generate",
        description="Produit le matériel du site à partir de vrais runs MLflow.",
    )
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


if __name__ == "__main__":
    main()
