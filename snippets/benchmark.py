"""Page « Performances » : ce que coûte le suivi MLflow dans le balayage du cours,
mesuré sur la machine qui lance la commande.

En ligne de commande : python -m snippets.benchmark [--quick] [--repeat N]

Le balayage de 20 réglages (C, gamma), de trois façons :
- sans suivi : entraîner, prédire, calculer les sept métriques ;
- la façon du cours (python -m snippets.sweep) : un run par réglage, avec ses
  paramètres, ses sept métriques et sa matrice de confusion, puis un seul modèle,
  celui du meilleur réglage, avec ses dépendances déclarées (pip_requirements) ;
- la façon naïve : la même chose, plus un modèle par run, dont MLflow déduit les
  dépendances (la configuration par défaut de log_model).
Chaque façon est répétée, le tableau donne les médianes, et la dernière ligne est
speedup=<durée naïve / durée du cours>. --quick (4 réglages, une fois) vérifie
seulement que la mesure fonctionne.
"""

import itertools
import os
import platform
import statistics
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
    args = parser.parse_args(argv)
    if args.quick:
        settings, repeat, naive_runs = QUICK_SETTINGS, 1, 1
    else:
        settings = list(itertools.product(C_VALUES, GAMMA_VALUES))
        repeat, naive_runs = max(args.repeat, 1), len(settings)

    speedup = report(measure(settings, repeat, naive_runs), len(settings))
    print()
    print(f"speedup={speedup:.1f}")


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
