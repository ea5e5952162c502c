"""Page « Performances » : ce que coûte le suivi MLflow dans le balayage du cours,
mesuré sur la machine qui lance la commande.

En ligne de commande : python -m snippets.benchmark [--quick] [--repeat N] [--build]

Le balayage de 20 réglages (C, gamma), de trois façons :
- sans suivi : entraîner, prédire, calculer les sept métriques ;
- la façon du cours (python -m snippets.sweep) : un run par réglage, avec ses
  paramètres, ses sept métriques et sa matrice de confusion, puis un seul modèle,
  celui du meilleur réglage, avec ses dépendances déclarées (pip_requirements) ;
- la façon naïve : la même chose, plus un modèle par run, dont MLflow déduit les
  dépendances (la configuration par défaut de log_model).
Chaque façon est répétée, le tableau donne les médianes, et la dernière ligne est
speedup=<durée naïve / durée du cours>. --quick (4 réglages, une fois) vérifie
seulement que la mesure fonctionne. --build mesure aussi la construction du site.
"""

import itertools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import mlflow
import sklearn

from snippets.cli import FrenchArgumentParser
from snippets.data import load_data
from snippets.first_run import build_model
from snippets.metrics import classification_metrics, plot_confusion_matrix
from snippets.sweep import (
    C_VALUES,
    GAMMA_VALUES,
    REQUIREMENTS,
    SWEEP_TAG,
    select_best_run,
    sweep_runs,
)
from snippets.train import parse_gamma, train_and_log

ROOT = Path(__file__).resolve().parent.parent
QUICK_SETTINGS = [(0.1, 0.01), (1.0, 0.01), (10.0, 0.001), (100.0, 0.1)]


@contextmanager
def fresh_store():
    """Un dossier vide et son mlflow.db, créé avant toute mesure ; donne la durée de
    cette création, c'est-à-dire la migration de la base au premier run."""
    previous = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="benchmark-") as folder:
        os.chdir(folder)
        try:
            started = time.perf_counter()
            mlflow.set_tracking_uri(f"sqlite:///{Path(folder) / 'mlflow.db'}")
            mlflow.set_experiment("benchmark")
            yield time.perf_counter() - started
        finally:
            mlflow.set_tracking_uri(None)
            os.chdir(previous)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def untracked_run(data, C, gamma):
    X_train, X_test, y_train, y_test = data
    model = build_model(C, gamma).fit(X_train, y_train)
    classification_metrics(y_test, model.predict(X_test))


def best_model():
    """Le modèle du meilleur réglage, comme le fait python -m snippets.sweep."""
    best = select_best_run(sweep_runs())
    train_and_log(
        C=float(best["params.C"]),
        gamma=parse_gamma(best["params.gamma"]),
        run_name="meilleur-reglage",
        pip_requirements=REQUIREMENTS,
    )


def figure(y_true, y_pred, path):
    """La matrice de confusion dessinée et écrite en PNG, sans MLflow."""
    plot_confusion_matrix(y_true, y_pred).savefig(path)


def measure(settings, repeat, naive_runs):
    """Les durées mesurées, en secondes, par poste."""
    data = load_data()
    y_test = data[3]
    y_pred = build_model().fit(data[0], data[2]).predict(data[1])
    png = Path(tempfile.gettempdir()) / "benchmark-figure.png"
    times = {key: [] for key in ("untracked", "course", "figure", "best_model")}
    times |= {"migration": [], "untracked_sweep": [], "course_sweep": []}
    for _ in range(repeat):
        untracked = [timed(untracked_run, data, C, gamma) for C, gamma in settings]
        times["untracked"] += untracked
        times["untracked_sweep"].append(sum(untracked))
        times["figure"] += [timed(figure, y_test, y_pred, png) for _ in settings]
        with fresh_store() as migration:
            course = [
                timed(train_and_log, C=C, gamma=gamma, log_model=False, tags=SWEEP_TAG)
                for C, gamma in settings
            ]
            model = timed(best_model)
        times["migration"].append(migration)
        times["course"] += course
        times["best_model"].append(model)
        times["course_sweep"].append(sum(course) + model)
    with fresh_store():
        # Une seule fois : un modèle par défaut par run, plusieurs secondes chacun.
        times["naive"] = [
            timed(train_and_log, C=C, gamma=gamma, tags=SWEEP_TAG)
            for C, gamma in settings[:naive_runs]
        ]
    png.unlink(missing_ok=True)
    return times


def ms(values):
    return 1000 * statistics.median(values)


def command_seconds(command, repeat):
    """Durée médiane d'une commande lancée dans un dossier vide, comme un apprenant."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env |= {"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    durations = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="benchmark-") as folder:
            started = time.perf_counter()
            subprocess.run(
                command, cwd=folder, env=env, check=True, capture_output=True
            )
            durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def sweep_command(repeat):
    """python -m snippets.sweep, imports compris, face aux seuls imports."""
    imports = [sys.executable, "-c", "import mlflow, sklearn, matplotlib.pyplot"]
    sweep = [sys.executable, "-m", "snippets.sweep"]
    return command_seconds(imports, repeat), command_seconds(sweep, repeat)


def build_seconds(repeat):
    """Construction du site : à froid (sans cache), sans rien changer, et sans runs."""
    cache = ROOT / ".cache" / "generated"

    def build(**env):
        with tempfile.TemporaryDirectory(prefix="site-") as site:
            command = [sys.executable, "-m", "mkdocs", "build", "--site-dir", site]
            started = time.perf_counter()
            subprocess.run(
                command, cwd=ROOT, env=os.environ | env, check=True, capture_output=True
            )
            return time.perf_counter() - started

    shutil.rmtree(cache, ignore_errors=True)
    cold = build()
    rebuild = statistics.median(build() for _ in range(repeat))
    without_runs = statistics.median(build(COURSE_REAL_RUNS="0") for _ in range(repeat))
    return cold, rebuild, without_runs


def report(times, n):
    """Affiche le tableau ; renvoie le rapport durée naïve / durée du cours."""
    untracked, course, naive = (
        ms(times["untracked"]),
        ms(times["course"]),
        ms(times["naive"]),
    )
    course_sweep = statistics.median(times["course_sweep"])
    naive_sweep = n * naive / 1000  # le balayage naïf : n runs au coût médian mesuré
    print(
        f"MLflow {mlflow.__version__}, scikit-learn {sklearn.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cœurs ; "
        f"{n} réglages ; médianes"
    )
    print()
    print(f"{'Balayage':<16}{'par run (ms)':>14}{'en tout (s)':>13}")
    rows = [
        ("sans suivi", untracked, statistics.median(times["untracked_sweep"])),
        ("façon du cours", course, course_sweep),
        ("façon naïve", naive, naive_sweep),
    ]
    for name, per_run, total in rows:
        print(f"{name:<16}{per_run:>14.0f}{total:>13.2f}")
    print()
    print("Coûts (ms, médianes)")
    costs = [
        ("suivi d'un run du cours (run suivi - run sans suivi)", course - untracked),
        ("  dont la matrice de confusion (dessin et PNG)", ms(times["figure"])),
        ("modèle du meilleur réglage, dépendances déclarées", ms(times["best_model"])),
        ("modèle dont MLflow déduit les dépendances (par run)", naive - course),
        ("création de mlflow.db (migration, premier run)", ms(times["migration"])),
    ]
    for label, value in costs:
        print(f"  {label:<54}{value:>8.0f}")
    return naive_sweep / course_sweep


def main(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.benchmark",
        description="Mesure le coût du suivi MLflow dans le balayage du cours.",
    )
    parser.add_argument("--quick", action="store_true", help="4 réglages, une fois")
    parser.add_argument("--repeat", type=int, default=5, help="répétitions (5)")
    parser.add_argument("--build", action="store_true", help="mesure aussi le site")
    args = parser.parse_args(argv)
    if args.quick:
        settings, repeat, naive_runs = QUICK_SETTINGS, 1, 1
    else:
        settings = list(itertools.product(C_VALUES, GAMMA_VALUES))
        repeat, naive_runs = max(args.repeat, 1), len(settings)

    speedup = report(measure(settings, repeat, naive_runs), len(settings))
    if not args.quick:
        imports, sweep = sweep_command(min(repeat, 3))
        print()
        print("Commandes, dans un dossier vide (s, médianes)")
        print(f"  {'import mlflow, sklearn, matplotlib':<54}{imports:>8.2f}")
        print(f"  {'python -m snippets.sweep':<54}{sweep:>8.2f}")
        print(f"  {'rapport balayage / imports':<54}{sweep / imports:>8.2f}")
    if args.build:
        cold, rebuild, without_runs = build_seconds(min(repeat, 3))
        print()
        print("Construction du site (s, médianes)")
        lines = [
            ("mkdocs build, à froid (runs réels)", cold),
            ("mkdocs build, rien de changé (cache)", rebuild),
            ("mkdocs build, COURSE_REAL_RUNS=0 (sans runs)", without_runs),
            ("rapport reconstruction / sans runs", rebuild / without_runs),
        ]
        for label, value in lines:
            print(f"  {label:<54}{value:>8.2f}")
    print()
    print(f"speedup={speedup:.1f}")


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
