"""Ce que coûte la construction du site, face à une commande du cours, sur cette machine.

    python -m tooling.measures.build_benchmark [--repeat N] [--tests] [--output FICHIER]

Mesure, en médianes sur N répétitions (3 par défaut), dans le même passage :
- `python -m snippets.sweep` lancé dans un dossier vide, comme par un apprenant, avant
  chaque mesure à froid : chaque rapport le prend pour unité ;
- `mkdocs serve` sur une copie neuve (sans .cache/ ni docs/generated/) : la première page
  servie, puis toutes les pages avec leurs vrais runs (la dernière étape publiée, la page
  rechargée d'elle-même) ;
- `mkdocs build` à froid, puis sans rien changer, puis sans aucun run (COURSE_REAL_RUNS=0) ;
- `mkdocs build` après la modification du code d'une page (une ligne de commentaire ajoutée
  à une section de son module, retirée ensuite), pour quelques modules ; puis la même
  modification sous `mkdocs serve`, jusqu'aux pages rechargées avec leurs vrais runs ;
- avec --tests, le palier rapide des tests (-m "not slow" -n 2) et la suite complète, chacun
  suivi d'un balayage.
Écrit le résultat dans measurements/build.txt (ou --output), et l'affiche.
"""

import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tooling import ROOT, command_line
from tooling.servers.processes import free_port, learner_environment, stop

# Le module modifié, la section où ajouter une ligne, et ce que cela doit refaire.
EDITS = [
    ("algorithms.py", "train_family", "la page « Comparer plusieurs algorithmes »"),
    ("autolog.py", "grid", "la page « Autologging »"),
    ("sweep.py", "figure", "le notebook local, qui fait la sortie des pages locales"),
    ("data.py", "load", "tout : toutes les pages incluent les données"),
]


def seconds(command, cwd, env, repeat=1):
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} a échoué :\n{result.stderr[-3000:]}")
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def build(**env):
    with tempfile.TemporaryDirectory(prefix="site-") as site:
        command = [sys.executable, "-m", "mkdocs", "build", "--site-dir", site]
        return seconds(command, ROOT, os.environ | {"NO_MKDOCS_2_WARNING": "1"} | env)


def sweep():
    with tempfile.TemporaryDirectory(prefix="cours-mlflow-") as folder:
        return seconds([sys.executable, "-m", "snippets.sweep"], folder, learner_environment())


@contextmanager
def edited(module, section):
    """Le module avec une ligne de commentaire de plus à la fin de la section, le temps du
    bloc with ; le fichier d'origine est remis ensuite, quoi qu'il arrive. Chaque
    modification est nouvelle : aucune version en cache ne lui correspond."""
    path = ROOT / "snippets" / module
    original = path.read_text()
    marker = re.search(rf"^([ \t]*)# --8<-- \[end:{section}\]", original, re.M)
    path.write_text(
        original[: marker.start()]
        + f"{marker[1]}# mesure de la reconstruction {time.time_ns()}\n"
        + original[marker.start() :]
    )
    try:
        yield
    finally:
        path.write_text(original)


@contextmanager
def served(timeout=600):
    """mkdocs serve sur un port libre, le temps du bloc : (wait_for(texte), adresse), où
    wait_for attend une ligne du terminal qui contient texte et renvoie l'instant où elle est
    venue (None après within secondes, si within est plus court que timeout) ; une ligne
    d'erreur l'arrête."""
    lines = queue.Queue()
    port = free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    threading.Thread(
        target=lambda: [lines.put((time.perf_counter(), line)) for line in server.stderr],
        daemon=True,
    ).start()

    def wait_for(text, within=timeout):
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                when, line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if "Error" in line or "ERROR" in line:
                raise RuntimeError(line)
            if text in line:
                return when
        if within < timeout:
            return None
        raise TimeoutError(f"mkdocs serve : « {text} » attendu")

    try:
        yield wait_for, f"http://127.0.0.1:{port}/"
    finally:
        stop(server)


def first_page_seconds(url, since, timeout=300):
    """De since au premier 200 de la page d'accueil."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return time.perf_counter() - since
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"mkdocs serve : {url} ne répond pas")


def fresh_serve():
    """mkdocs serve sur une copie neuve (sans .cache/ ni docs/generated/) : (secondes jusqu'à
    la première page servie, secondes jusqu'à ce que toutes les pages montrent leurs vrais
    runs, la dernière étape publiée et la page rechargée)."""
    forget_generation()
    started = time.perf_counter()
    with served() as (wait_for, url):
        first = first_page_seconds(url, started)
        return first, reloaded(wait_for) - started


def serve_seconds(module, section):
    """Sous mkdocs serve, une fois le site construit : de la modification du module à la
    page rechargée avec ses vrais runs (la dernière étape refaite, publiée)."""
    with served() as (wait_for, _):
        wait_for("Serving on")
        with edited(module, section):
            started = time.perf_counter()
            wait_for("commencée")  # la reconstruction voit la modification, l'étape repart…
            elapsed = reloaded(wait_for) - started  # …faite, publiée, les pages rechargées
        wait_for("Reloading browsers")  # le module remis : sa version en cache, publiée
        return elapsed


def reloaded(wait_for):
    """L'instant où les pages sont rechargées avec la dernière étape : la reconstruction que
    sa publication déclenche peut finir juste avant ou juste après la ligne de la fin."""
    done = wait_for("Génération terminée")
    return wait_for("Reloading browsers", within=60) or done


def forget_generation():
    """Une copie neuve : ni cache de la génération, ni matériel publié."""
    shutil.rmtree(ROOT / ".cache", ignore_errors=True)
    shutil.rmtree(ROOT / "docs" / "generated", ignore_errors=True)


def pytest_seconds(*options):
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    return elapsed, last


def measure(repeat, tests):
    rows, ratios = [], []
    sweeps, colds = [], []
    firsts, reals = [], []
    for _ in range(repeat):  # alternés, pour que la charge de la machine touche chacun
        sweeps.append(sweep())
        forget_generation()
        colds.append(build())
        sweeps.append(sweep())
        first, real = fresh_serve()
        firsts.append(first)
        reals.append(real)
    sweep_s, cold = statistics.median(sweeps), statistics.median(colds)
    first, real = statistics.median(firsts), statistics.median(reals)
    rows.append(("python -m snippets.sweep, dossier vide", sweep_s))
    rows.append(("mkdocs serve à neuf, première page servie", first))
    rows.append(("mkdocs serve à neuf, toutes les pages avec leurs vrais runs", real))
    rows.append(("mkdocs build, à froid (sans .cache/ ni docs/generated/)", cold))
    rows.append(("mkdocs build, rien de changé", statistics.median(build() for _ in range(repeat))))
    without = statistics.median(build(COURSE_REAL_RUNS="0") for _ in range(repeat))
    rows.append(("mkdocs build, COURSE_REAL_RUNS=0 (sans runs)", without))
    ratios.append(
        ("mkdocs serve, première page / balayage (objectif : 2 au plus)", first / sweep_s)
    )
    ratios.append(("mkdocs serve, vrais runs partout / balayage", real / sweep_s))
    ratios.append(("mkdocs build à froid / balayage (objectif : 4 au plus)", cold / sweep_s))
    for module, section, what in EDITS:
        durations = []
        for _ in range(repeat):
            with edited(module, section):
                durations.append(build())
        edit = statistics.median(durations)
        rows.append((f"mkdocs build, {module} modifié", edit))
        ratios.append((f"  mkdocs build, {module} : {what}", edit / cold))
    for module, section, what in EDITS:
        served = statistics.median(serve_seconds(module, section) for _ in range(repeat))
        rows.append((f"mkdocs serve, {module} modifié, jusqu'au rechargement", served))
        ratios.append((f"  mkdocs serve, {module} : {what}", served / cold))
    test_rows = []
    if tests:
        quick = ('palier rapide (-m "not slow" -n 2)', ["-m", "not slow", "-n", "2"])
        for label, options in [quick, ("suite complète", [])]:
            elapsed, summary = pytest_seconds(*options)
            test_rows.append((label, elapsed, summary))
            # Le balayage juste après, sur la machine telle que les tests l'ont laissée.
            ratios.append((f"{label} / balayage", elapsed / sweep()))
    return rows, ratios, test_rows


def report(rows, ratios, test_rows, repeat):
    lines = [
        f"Python {platform.python_version()}, {os.cpu_count()} cœurs ; "
        f"médianes de {repeat} mesures",
        "",
        "Durées (s)",
        *(f"  {label:<60}{value:>8.1f}" for label, value in rows),
        "",
        "Rapports (au balayage, puis reconstruction après modification / construction à "
        "froid ; objectif : 0,25 au plus pour une page)",
        *(f"  {label:<84}{value:>6.2f}" for label, value in ratios),
    ]
    if test_rows:
        lines += ["", "Tests (s)"]
        lines += [f"  {label:<32}{value:>8.1f}  {summary}" for label, value, summary in test_rows]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = command_line(__spec__, "Mesure la construction du site (et, avec --tests, les tests).")
    parser.add_argument("--repeat", type=int, default=3, help="répétitions (3)")
    parser.add_argument("--tests", action="store_true", help="mesure aussi les tests")
    parser.add_argument("--output", type=Path, default=ROOT / "measurements" / "build.txt")
    args = parser.parse_args(argv)
    text = report(*measure(max(args.repeat, 1), args.tests), max(args.repeat, 1))
    args.output.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
