"""L'ordonnanceur de la génération : les étapes à refaire tournent côte à côte. Les notebooks
tournent chacun dans un fil (leur noyau Jupyter est un processus à lui) ; les pages, et ce que
les notebooks exécutés laissent à tirer de leur magasin, dans WORKERS processus de travail
tirés d'un serveur de fork qui a déjà importé MLflow et scikit-learn (PRELOAD). Un processus
de travail qui se libère prend d'abord ce qu'un notebook fini laisse à tirer, puis la page la
plus longue qui attend. Rien n'est interrogé à intervalles : on attend le prochain résultat
(concurrent.futures.wait).
"""

import concurrent.futures
import contextlib
import multiprocessing
import shutil
import sys
import threading
import time
import traceback

from tooling import ROOT

WORKERS = 2  # les deux cœurs des machines du cours
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
    "tooling.website.figures",
]


class GenerationError(Exception):
    """Des étapes ont échoué : failed, leurs noms ; le message dit la raison de chacune."""

    def __init__(self, message, failed=()):
        super().__init__(message)
        self.failed = list(failed)


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
    """WORKERS processus de travail à la fois, tirés du serveur de fork, un neuf par tâche."""
    context = start_fork_server()
    with concurrent.futures.ProcessPoolExecutor(
        WORKERS, mp_context=context, max_tasks_per_child=1
    ) as pool:
        yield pool


def in_worker(step, out):
    """La tâche d'un processus de travail (une fonction du module, pour qu'il la retrouve)."""
    step.run_in_worker(out)


def run_steps(stale, dirs, progress, done):
    """Fait les étapes stale (les plus longues d'abord), chacune dans dirs[son nom], vidé
    d'abord ; progress(texte) rapporte, done(nom) dès qu'une étape est prête (son DONE
    écrit). GenerationError, avec la raison de chacune, si des étapes échouent : leurs
    dossiers sont retirés."""
    origin, total = time.monotonic(), len(stale)
    numbers = {step.name: number for number, step in enumerate(stale, 1)}
    since, failures, lock = {}, [], threading.Lock()  # les notebooks rapportent de leur fil

    def log(step, text):
        with lock:
            progress(f"Génération [{numbers[step.name]}/{total}] {step.name} : {text}")

    def start(step):
        since[step.name] = time.monotonic()
        log(step, f"commencée ({since[step.name] - origin:.0f} s)")

    def finished(step):
        (dirs[step.name] / "DONE").touch()
        log(step, f"{time.monotonic() - since[step.name]:.1f} s")
        done(step.name)

    def notebook(step):
        step.run_notebook(dirs[step.name])
        if not step.finish:
            finished(step)  # dès qu'il est écrit, sans attendre le fil principal

    for step in stale:
        shutil.rmtree(dirs[step.name], ignore_errors=True)
        dirs[step.name].mkdir(parents=True)
    notebooks = [step for step in stale if step.notebook]
    waiting = [step for step in stale if not step.notebook]  # pages, et ce qui s'exécute seul
    ready = []  # les notebooks exécutés qui ont encore à tirer de leur magasin
    needs_pool = waiting or any(step.finish for step in notebooks)
    with contextlib.ExitStack() as stack:
        threads = stack.enter_context(concurrent.futures.ThreadPoolExecutor(len(notebooks) or 1))
        pool = stack.enter_context(worker_pool()) if needs_pool else None
        running = {}  # future : (étape, "notebook" ou "worker")
        for step in notebooks:
            start(step)
            running[threads.submit(notebook, step)] = (step, "notebook")
        while running or waiting or ready:
            in_workers = sum(kind == "worker" for _, kind in running.values())
            while (ready or waiting) and in_workers < WORKERS:
                step = ready.pop(0) if ready else waiting.pop(0)
                if step.name not in since:
                    start(step)
                future = pool.submit(in_worker, step, str(dirs[step.name]))
                running[future] = (step, "worker")
                in_workers += 1
            completed, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in completed:
                step, kind = running.pop(future)
                error = future.exception()
                if error is None and kind == "notebook":
                    if step.finish:
                        ready.append(step)
                elif error is None:
                    finished(step)
                elif kind == "notebook":
                    trace = "".join(traceback.format_exception(error))
                    failures.append((step, trace))
                else:
                    journal = dirs[step.name] / "step.log"
                    tail = journal.read_text(errors="replace")[-3000:] if journal.exists() else ""
                    failures.append((step, f"{error!r}\n{tail}"))
    if failures:
        for step, _ in failures:
            shutil.rmtree(dirs[step.name], ignore_errors=True)
        raise GenerationError(
            "\n\n".join(f"Étape {step.name} en échec :\n{error}" for step, error in failures),
            [step.name for step, _ in failures],
        )
