"""Le matériel du site tiré de vrais runs MLflow : la sortie des blocs de chaque page, ses
figures, le vrai fichier MLmodel et les deux notebooks, le local exécuté de haut en bas.

    python -m tooling.generate [--placeholders]

Chaque page est exécutée comme un apprenant l'exécute : ses blocs Python, collés dans l'ordre
dans une même session, dans un dossier vide. Chaque étape a son cache,
.cache/generated/<étape>/<empreinte>/, où l'empreinte couvre ce dont l'étape dépend : le code
que la page exécute (ses blocs, sections incluses), le code de l'étape et les versions
installées. Modifier le module d'une page ne refait que les étapes qui en exécutent le code ;
modifier les données (snippets/data.py), que toutes les pages incluent, refait tout.

Les étapes à refaire tournent côte à côte, deux à la fois : chacune dans un processus tiré
d'un serveur de fork qui a déjà importé MLflow et scikit-learn, et le notebook local dans son
propre noyau Jupyter. Le dossier de travail de chaque étape (cours-mlflow/, avec son
mlflow.db) reste dans le cache : les tests relisent ce que les pages ont enregistré.
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
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from tooling import ROOT
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
    "tooling.figures",
]
# Le code des étapes (sans les captures ni les mesures, qui ne changent rien aux pages).
STEP_CODE = ["generate", "figures", "learner_env", "notebooks", "processes", "sections"]
WORKERS = 2  # les deux cœurs des machines du cours
KEPT = 2  # versions gardées de chaque étape
FEATURES = ["mean radius", "mean texture", "mean concave points", "worst area"]


# Ce que chaque page produit au-delà de sa sortie : figures et fichiers relus dans son magasin.
def finish_data(out, folder):
    from sklearn.datasets import load_breast_cancer

    from tooling import figures

    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    figures.save(figures.plot_class_balance(target), out / "equilibre_classes.png")
    figures.save(
        figures.plot_feature_distributions(features, target, FEATURES),
        out / "distributions.png",
    )


def finish_metrics(out, folder):
    from mlflow import MlflowClient

    client = MlflowClient(store_uri(folder))
    [run] = client.search_runs(experiments(client))
    local = client.download_artifacts(run.info.run_id, "confusion_matrix.png", str(out))
    Path(local).rename(out / "matrice_confusion.png")


def finish_logged_model(out, folder):
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(store_uri(folder))
    [model] = client.search_logged_models(experiments(client))
    with tracking(folder):
        model_dir = Path(mlflow.artifacts.download_artifacts(f"models:/{model.model_id}"))
    shutil.copy(model_dir / "MLmodel", out / "MLmodel")
    shutil.copy(model_dir / "requirements.txt", out / "model_requirements.txt")


def finish_sweep(out, folder):
    from mlflow import MlflowClient

    from tooling import figures

    shutil.copy(folder / "metriques_selon_C.png", out / "metriques_selon_C.png")
    with tracking(folder):
        import mlflow

        runs = mlflow.search_runs(
            experiment_ids=experiments(MlflowClient(store_uri(folder))),
            filter_string="tags.sweep = 'C-gamma'",
        )
    figures.save(figures.plot_heatmap(runs, "sensitivity"), out / "sensibilite_C_gamma.png")


def finish_algorithms(out, folder):
    import mlflow
    from mlflow import MlflowClient

    from tooling import figures

    with tracking(folder):
        runs = mlflow.search_runs(experiment_ids=experiments(MlflowClient(store_uri(folder))))
    figures.save(figures.plot_families(runs), out / "algorithmes.png")


@dataclass
class Step:
    """Une étape : une page exécutée (page), ou un notebook (notebook)."""

    name: str
    outputs: list = field(default_factory=list)
    page: str = None  # sous docs/
    finish: object = None
    notebook: str = None
    execute: bool = False
    cost: int = 1  # pour lancer d'abord les plus longues

    def key(self):
        """L'empreinte de ce dont l'étape dépend."""
        digest = hashlib.sha256(self.name.encode())
        if self.page:
            digest.update("\n\n".join(python_blocks(ROOT / "docs" / self.page)).encode())
        else:
            digest.update(built_notebook(self.notebook).encode())
        for name in STEP_CODE:
            digest.update((ROOT / "tooling" / f"{name}.py").read_bytes())
        for name in VERSIONED:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        digest.update(sys.version.encode())
        return digest.hexdigest()[:16]


STEPS = [
    Step("notebook_local", ["notebooks/cours-local.ipynb"], notebook="cours-local",
         execute=True, cost=9),
    Step("notebook_databricks", ["notebooks/cours-databricks.ipynb"],
         notebook="cours-databricks", cost=0),
    Step("autolog", ["output_autolog.txt"], page="autolog.md", cost=8),
    Step("algorithms", ["output_algorithms.txt", "algorithmes.png"], page="algorithms.md",
         finish=finish_algorithms, cost=7),
    Step("logged_model", ["output_logged_model.txt", "MLmodel", "model_requirements.txt"],
         page="local/logged-model.md", finish=finish_logged_model, cost=6),
    Step("sweep", ["output_sweep.txt", "metriques_selon_C.png", "sensibilite_C_gamma.png"],
         page="local/sweep.md", finish=finish_sweep, cost=5),
    Step("metrics", ["output_metrics.txt", "matrice_confusion.png"], page="local/metrics.md",
         finish=finish_metrics, cost=3),
    Step("first_run", ["output_first_run.txt"], page="local/first-run.md", cost=2),
    Step("data", ["output_data.txt", "equilibre_classes.png", "distributions.png"],
         page="data.md", finish=finish_data, cost=2),
]  # fmt: skip


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
    """Le texte d'un notebook construit à partir des sections (sans sorties)."""
    if name not in _notebooks:
        from tooling import notebooks

        with tempfile.TemporaryDirectory() as folder:
            for path in notebooks.build(folder):
                _notebooks[path.stem] = path.read_text()
    return _notebooks[name]


def run_page(step_name, out):
    """Dans un processus de travail : les blocs de la page, collés dans l'ordre dans une même
    session, dans un dossier vide ; puis ce que l'étape tire de son magasin."""
    step = STEP_BY_NAME[step_name]
    out = Path(out)
    folder = out / WORKDIR
    folder.mkdir(parents=True)
    log = open(out / "step.log", "wb")  # noqa: SIM115 (le processus s'arrête après l'étape)
    os.dup2(log.fileno(), 1)  # ce qu'écrivent MLflow et ses sous-processus : dans le journal
    os.dup2(log.fileno(), 2)
    os.environ.clear()
    os.environ.update(learner_environment(BASE_ENV, PYTHONPATH=str(HIDDEN_DIR)))
    runpy.run_path(str(HIDDEN_DIR / "sitecustomize.py"))  # et dans ce processus-ci
    import matplotlib

    matplotlib.use("Agg")
    os.chdir(folder)
    code = "\n\n".join(python_blocks(ROOT / "docs" / step.page))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(ROOT / "docs" / step.page), "exec"), {"__name__": "__main__"})
    (out / f"output_{step.name}.txt").write_text(printed.getvalue())
    if step.finish:
        step.finish(out, folder)


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
    nbformat.write(notebook, out / step.outputs[0])


STEP_BY_NAME = {step.name: step for step in STEPS}
BASE_ENV = dict(os.environ)


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


def generate(progress=print, switch=None):
    """Fait ce qui manque au cache ; renvoie {étape: dossier de ses fichiers}."""
    if switch:
        progress(f"{switch} : aucun run réel, sorties et figures remplacées.")
        return placeholders(switch)
    started = time.monotonic()
    dirs = {step.name: CACHE / step.name / step.key() for step in STEPS}
    stale = [step for step in STEPS if not (dirs[step.name] / "DONE").exists()]
    stale.sort(key=lambda step: -step.cost)
    progress(
        f"Génération : {len(STEPS)} étapes, {len(STEPS) - len(stale)} en cache, "
        f"{len(stale)} à faire."
    )
    if stale:
        hiding_path()
        run_steps(stale, dirs, progress)
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


def start_fork_server(context):
    """Le serveur de fork, lancé une fois par processus (mkdocs serve le garde d'une
    construction à l'autre) : il importe PRELOAD, puis chaque étape en part toute prête."""
    context.set_forkserver_preload(PRELOAD)
    # Chaque étape reprend le sys.path de ce processus-ci : il doit y trouver tooling (MkDocs
    # retire de sys.path le dossier de ses hooks une fois qu'il les a chargés).
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))


def run_steps(stale, dirs, progress):
    total, lock, origin = len(stale), threading.Lock(), time.monotonic()
    numbers = {step.name: number for number, step in enumerate(stale, 1)}
    failures = []

    def started(step):
        shutil.rmtree(dirs[step.name], ignore_errors=True)
        dirs[step.name].mkdir(parents=True)
        with lock:
            at = time.monotonic() - origin
            progress(
                f"Génération [{numbers[step.name]}/{total}] {step.name} : commencée ({at:.0f} s)"
            )
        return time.monotonic()

    def finished(step, since, error=None):
        with lock:
            if error is None:
                (dirs[step.name] / "DONE").touch()
                elapsed = time.monotonic() - since
                progress(f"Génération [{numbers[step.name]}/{total}] {step.name} : {elapsed:.1f} s")
            else:
                failures.append((step, error))

    def notebook_thread(step):
        since = started(step)
        try:
            run_notebook(step, dirs[step.name])
        except Exception:  # noqa: BLE001 (rapporté avec les autres échecs)
            finished(step, since, traceback.format_exc())
        else:
            finished(step, since)

    threads = [
        threading.Thread(target=notebook_thread, args=(step,)) for step in stale if step.notebook
    ]
    for thread in threads:
        thread.start()
    pages = [step for step in stale if step.page]
    if pages:
        context = multiprocessing.get_context("forkserver")
        start_fork_server(context)
        with concurrent.futures.ProcessPoolExecutor(
            WORKERS, mp_context=context, max_tasks_per_child=1
        ) as pool:
            running = {}
            while pages or running:
                while pages and len(running) < WORKERS:
                    step = pages.pop(0)
                    since = started(step)
                    future = pool.submit(run_page, step.name, str(dirs[step.name]))
                    running[future] = (step, since)
                done, _ = concurrent.futures.wait(
                    running, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in done:
                    step, since = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        log = dirs[step.name] / "step.log"
                        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                        error = f"{error!r}\n{tail}"
                    finished(step, since, error)
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
        print(f"{name:<20} {path}")


if __name__ == "__main__":
    main()
