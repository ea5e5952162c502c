"""L'étape migration : les vrais messages de MLflow face au code d'avant MLflow 3 (page « Venir
de MLflow 2 ») ; chaque ancien motif de snippets/migration.py, exécuté dans un magasin jetable.

record() tourne dans un processus de travail de la génération, qui a déjà importé MLflow et
scikit-learn (le serveur de fork les importe une fois pour toutes les étapes) ; il en tire un
processus neuf (fork) par motif, deux à la fois, chacun dans son dossier vide : il y exécute
le code qui précède le motif sur la page (PRELUDES), puis l'ancien code, dont il garde les
avertissements (warnings), les messages WARNING et ERROR des journaux de MLflow, et
l'exception qui l'arrête, tels que Python les affiche. Le fichier
migration_<motif>.txt en garde le texte, sans l'heure, ni les chemins, ni les identifiants.

Ce module n'importe pas MLflow (la génération l'importe) : seul drive() le fait.
"""

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

from tooling.sections import section
from tooling.website.step import Step

SNIPPET = "migration.py"
# Les motifs, dans l'ordre de la page : chacun a ses sections old_<motif> et new_<motif>.
PATTERNS = [
    "file_store",
    "list_experiments",
    "nested",
    "artifact_path",
    "no_name",
    "runs_uri",
    "artifact_uri",
    "autolog",
    "squared",
    "evaluate",
    "stages",
    "latest_versions",
]
OUTPUTS = [f"migration_{name}.txt" for name in PATTERNS]
# Ce que la page a exécuté avant l'ancien code : le point de départ, le magasin SQLite, puis
# ce dont le motif a besoin (le modèle enregistré, sa version dans le registre).
START = ["imports", "setup"]
TRACKED = [*START, "new_file_store"]
LOGGED = [*TRACKED, "new_artifact_path"]  # model_info et run
PRELUDES = {name: TRACKED for name in PATTERNS} | {
    "file_store": START,
    "runs_uri": LOGGED,
    "evaluate": LOGGED,
    "stages": LOGGED,
    "latest_versions": [*LOGGED, "new_stages"],
}
# Les plus longs d'abord (déduction des dépendances du modèle, évaluation), deux à la fois.
LONGEST = ["autolog", "artifact_path", "no_name", "evaluate"]
WORKERS = 2
PATTERN_TIMEOUT = 300  # secondes, par motif
NO_MESSAGE = "(aucun message)"
# Ce que drive() importe avant de tirer les motifs (déjà là dans un processus de travail).
PRELOAD = [
    "mlflow",
    "mlflow.sklearn",
    "mlflow.pyfunc",
    "mlflow.models",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
    "alembic.command",
    "skops.io",
    "sklearn.datasets",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
]


def job_code(name):
    """(le code qui précède le motif name sur la page, son ancien code)."""
    prelude = "\n\n".join(section(f"{SNIPPET}:{part}") for part in PRELUDES[name])
    return prelude, section(f"{SNIPPET}:old_{name}")


def executed():
    """Le code que l'étape exécute : pour chaque motif, ce qui le précède et l'ancien code."""
    return "\n\n".join(code for name in PATTERNS for code in job_code(name))


def record(out, folder, names=None):
    """Dans un processus de travail : écrit out/migration_<motif>.txt pour chaque motif (ou
    ceux de names), à partir de l'ancien code exécuté dans folder/<motif>, un dossier vide."""
    out, folder = Path(out), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(names or PATTERNS)
    jobs = []
    for name in sorted(names, key=lambda n: LONGEST.index(n) if n in LONGEST else len(LONGEST)):
        workdir = folder / name
        workdir.mkdir()
        prelude, old = job_code(name)
        jobs.append(
            {
                "name": name,
                "folder": str(workdir),
                "prelude": prelude,
                "old": old,
                "events": str(folder / f"{name}.json"),
                "log": str(folder / f"{name}.log"),
            }
        )
    spec = folder / "patterns.json"
    spec.write_text(json.dumps(jobs, ensure_ascii=False, indent=1))
    started = time.monotonic()
    failures = drive(spec)  # la durée de chaque motif va dans le journal de l'étape
    if failures:
        raise RuntimeError("Les anciens motifs n'ont pas tourné :\n\n" + "\n\n".join(failures))
    for job in jobs:
        events = json.loads(Path(job["events"]).read_text())
        text = "\n".join(scrub(event, folder) for event in events) or NO_MESSAGE
        (out / f"migration_{job['name']}.txt").write_text(text + "\n")
    print(f"Motifs de migration : {len(jobs)} en {time.monotonic() - started:.1f} s")


STEP = Step("migration", OUTPUTS, module=__name__, finish=record, executes=executed, cost=2)

RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")
MODEL_ID = re.compile(r"\bm-[0-9a-f]{32}\b")


def scrub(text, folder):
    """Le message sans ce qui change d'une exécution à l'autre : chemins, identifiants."""
    for path in sorted({str(folder), str(Path(folder).resolve())}, key=len, reverse=True):
        text = text.replace(path + os.sep, "").replace(path, ".")
    text = MODEL_ID.sub("m-<model_id>", text)
    return RUN_ID.sub("<run_id>", text)


# Ce qui suit importe MLflow.


def drive(spec):
    """Tire un processus par motif, WORKERS à la fois ; chacun écrit ses événements. Renvoie
    les échecs, un texte par motif."""
    import importlib

    started = time.monotonic()
    for module in PRELOAD:
        importlib.import_module(module)
    print(f"{'imports':<17} {time.monotonic() - started:5.1f} s", flush=True)
    jobs = json.loads(Path(spec).read_text())
    running, failures, killed = {}, [], set()
    while jobs or running:
        while jobs and len(running) < WORKERS:
            job = jobs.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                os._exit(run_pattern(job))
            running[pid] = (job, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (_, since) in running.items():
                if time.monotonic() - since > PATTERN_TIMEOUT and child not in killed:
                    os.kill(child, signal.SIGKILL)  # rapporté quand il est récolté
                    killed.add(child)
            time.sleep(0.05)
            continue
        job, since = running.pop(pid)
        print(f"{job['name']:<17} {time.monotonic() - since:5.1f} s", flush=True)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            late = f", arrêté après {PATTERN_TIMEOUT} s" if pid in killed else ""
            log = Path(job["log"]).read_text(errors="replace")[-2000:]
            failures.append(f"{job['name']} (code {code}{late}) :\n{log}")
    return failures


def run_pattern(job):
    """Dans le processus du motif : le code qui précède, puis l'ancien code ; renvoie le code
    de sortie (0 : les événements de l'ancien code sont écrits)."""
    import contextlib
    import io
    import logging
    import warnings

    try:
        os.chdir(job["folder"])
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)  # ce qu'écrivent Python, MLflow et ses sous-processus
        os.dup2(log, 2)
        namespace = {"__name__": "__main__"}  # le code d'un apprenant, comme un script
        exec(compile(job["prelude"], "point_de_depart.py", "exec"), namespace)
        print(f"----- ancien code : {job['name']}", flush=True)

        events = []
        show = warnings.showwarning

        def show_and_keep(message, category, filename, lineno, file=None, line=None):
            events.append(f"{category.__name__}: {message}")
            show(message, category, filename, lineno, file, line)

        class Keep(logging.Handler):
            """Garde ce qu'un journal affiche à partir de WARNING (ses filtres compris)."""

            def __init__(self, shown_by):
                super().__init__(logging.WARNING)
                self.shown_by = shown_by

            def emit(self, record):
                if all(handler.filter(record) for handler in self.shown_by):
                    events.append(f"{record.levelname} {record.name}: {record.getMessage()}")

        warnings.showwarning = show_and_keep
        for name in ["mlflow", ""]:  # les journaux de MLflow, puis les autres
            logger = logging.getLogger(name)
            logger.addHandler(Keep(list(logger.handlers)))
        try:
            exec(compile(job["old"], "ancien_code.py", "exec"), namespace)
        except BaseException as error:  # noqa: BLE001 (l'erreur est le message attendu)
            shown = io.StringIO()
            with contextlib.redirect_stderr(shown):  # comme Python l'affiche, suggestions comprises
                sys.excepthook(type(error), error, error.__traceback__)
            sys.stderr.write(shown.getvalue())
            events.append(exception_line(shown.getvalue()))
        sys.stdout.flush()
        sys.stderr.flush()
        Path(job["events"]).write_text(json.dumps(events, ensure_ascii=False))
        return 0
    except BaseException:  # noqa: BLE001 (le code qui précède a échoué : rapporté par drive)
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        return 3


def exception_line(shown):
    """La fin d'une trace d'appel : l'exception et son message, sans les lignes de la pile."""
    lines = shown.rstrip("\n").splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    start = frames[-1] + 1 if frames else 0
    while start < len(lines) and lines[start].startswith("    "):
        start += 1  # la ligne de code et ses marques ^^^^
    return "\n".join(lines[start:])
