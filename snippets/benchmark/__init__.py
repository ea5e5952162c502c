"""Page « Performances » : ce que coûte le suivi MLflow dans le balayage du cours,
mesuré sur la machine qui lance la commande.

En ligne de commande : python -m snippets.benchmark [--quick] [--repeat N] [--spark]

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

Avec --spark (page « Quand une machine ne suffit plus », PySpark et Java 17 requis) :
l'étude Optuna du cours, de 20 essais, de quatre façons, et ce que coûte Spark :
- le démarrage de Spark en local[2] : la SparkSession, puis un premier job ;
- Optuna seul, en mémoire, dans un processus ;
- Optuna avec MlflowStorage, dans un processus : un run par essai, sous celui de
  l'étude ;
- MlflowSparkStudy en local[2] : la première étude, qui lance les workers Python de
  Spark, puis les suivantes, workers prêts ;
- enfin des essais allongés à 3 s par une attente, dans un processus puis par Spark :
  le calcul d'un exécuteur de cluster, fait sur sa propre machine.
Les dernières lignes divisent la durée en un processus (MlflowStorage) par la durée
avec Spark : speedup_spark (démarrage et première étude compris), speedup_spark_warm
(workers prêts), speedup_spark_long (essais allongés).
"""

import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import mlflow
import sklearn

from snippets.cli import FrenchArgumentParser, positive_int
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
SPARK_TRIALS = 20  # les essais de chaque étude mesurée avec --spark
LONG_TRIAL = 3.0  # secondes de calcul d'un essai allongé


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
    parser.add_argument(
        "--repeat", type=positive_int, help="répétitions (5 ; 3 avec --spark)"
    )
    parser.add_argument("--spark", action="store_true", help="l'étude Optuna et Spark")
    args = parser.parse_args(argv)
    if args.spark:
        return spark_benchmark(args.quick, args.repeat)
    if args.quick:
        settings, repeat, naive_runs = QUICK_SETTINGS, 1, 1
    else:
        settings = list(itertools.product(C_VALUES, GAMMA_VALUES))
        repeat, naive_runs = max(args.repeat or 5, 1), len(settings)

    speedup = report(measure(settings, repeat, naive_runs), len(settings))
    print()
    print(f"speedup={speedup:.1f}")


def lengthened(objective, seconds):
    """L'objectif, suivi d'une attente qui porte l'essai à seconds secondes : un essai
    long dont le calcul se fait ailleurs, comme sur la machine d'un exécuteur d'un
    cluster, sans prendre les cœurs de celle-ci."""

    def long_objective(trial):
        end = time.perf_counter() + seconds
        value = objective(trial)
        time.sleep(max(end - time.perf_counter(), 0))
        return value

    return long_objective


def load_average():
    """La charge de la machine sur la dernière minute ; None sous Windows."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def tracked_study(create, objective, n_trials):
    """Durée d'une étude créée par create(storage) sur MlflowStorage, dans un magasin
    neuf ; et les statuts des runs enfants qu'elle y a laissés (un Counter)."""
    from collections import Counter

    from mlflow.optuna.storage import MlflowStorage

    with fresh_store():
        experiment_id = mlflow.get_experiment_by_name("benchmark").experiment_id
        study = create(MlflowStorage(experiment_id=experiment_id))
        seconds = timed(study.optimize, objective, n_trials=n_trials)
        runs = mlflow.search_runs(filter_string="tags.mlflow.parentRunId != ''")
    return seconds, Counter(runs["status"]) if len(runs) else Counter()


def measure_spark(n_trials, repeat, long_trial):
    """Les durées de l'étude du cours, en secondes, avec et sans Spark ; et les statuts
    des runs enfants de chaque étude suivie."""
    import optuna

    from snippets.spark_study import check_spark_install
    from snippets.tuning import make_objective

    check_spark_install()
    from mlflow.pyspark.optuna.study import MlflowSparkStudy
    from pyspark.sql import SparkSession

    def in_one_process(storage):
        return optuna.create_study(
            study_name="etude", storage=storage, direction="maximize"
        )

    def with_spark(storage):
        return MlflowSparkStudy("etude", storage, direction="maximize")

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # sans une ligne par essai
    X_train, _, y_train, _ = load_data()
    objective = make_objective(X_train, y_train)
    times = {key: [] for key in ("memory", "storage", "spark_warm")}
    times["load"] = [load_average()]
    children = []
    for _ in range(repeat):
        study = optuna.create_study(direction="maximize")
        times["memory"].append(timed(study.optimize, objective, n_trials=n_trials))
        seconds, statuses = tracked_study(in_one_process, objective, n_trials)
        times["storage"].append(seconds)
        children.append(statuses)

    os.environ["PYSPARK_PYTHON"] = sys.executable
    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("benchmark")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    times["session"] = time.perf_counter() - started
    spark.sparkContext.setLogLevel("ERROR")
    times["first_job"] = timed(spark.range(2, numPartitions=2).count)
    try:
        # La première étude lance les workers Python de Spark ; les suivantes les
        # retrouvent prêts.
        times["spark_first"], statuses = tracked_study(with_spark, objective, n_trials)
        children.append(statuses)
        for _ in range(repeat):
            seconds, statuses = tracked_study(with_spark, objective, n_trials)
            times["spark_warm"].append(seconds)
            children.append(statuses)
        slow = lengthened(objective, long_trial)
        times["long_storage"], statuses = tracked_study(in_one_process, slow, n_trials)
        children.append(statuses)
        times["long_spark"], statuses = tracked_study(with_spark, slow, n_trials)
        children.append(statuses)
    finally:
        spark.stop()
    times["load"].append(load_average())
    return times, children


def print_rows(title, rows, n_trials):
    print(f"{title:<46}{'en tout (s)':>12}{'par essai (s)':>15}")
    for label, total in rows:
        print(f"  {label:<44}{total:>12.2f}{total / n_trials:>15.2f}")
    print()


def spark_report(times, children, n_trials, repeat, long_trial):
    """Affiche le tableau ; renvoie les rapports durée en un processus / durée avec
    Spark : démarrage et première étude compris, workers prêts, essais allongés."""
    import optuna
    import pyspark

    from snippets.spark_study import java_version

    storage = statistics.median(times["storage"])
    spark_warm = statistics.median(times["spark_warm"])
    start = times["session"] + times["first_job"]
    print(
        f"MLflow {mlflow.__version__}, Optuna {optuna.__version__}, "
        f"PySpark {pyspark.__version__}, scikit-learn {sklearn.__version__}, "
        f"Python {platform.python_version()}, Java {java_version()[0]}, "
        f"{os.cpu_count()} cœurs ; études de {n_trials} essais ; médianes de {repeat}"
    )
    if None not in times["load"]:
        before, after = times["load"]
        print(f"Charge de la machine (load average) : {before:.1f}, puis {after:.1f}")
    print()
    print(f"{'Démarrage de Spark, local[2]':<46}{'(s)':>12}")
    for label, value in [
        ("création de la SparkSession", times["session"]),
        ("premier job", times["first_job"]),
        ("démarrage en tout", start),
    ]:
        print(f"  {label:<44}{value:>12.2f}")
    print()
    one_process = "Optuna et MlflowStorage, un processus"
    rows = [
        ("Optuna seul, en mémoire", statistics.median(times["memory"])),
        (one_process, storage),
        ("MlflowSparkStudy, première étude", times["spark_first"]),
        ("MlflowSparkStudy, workers prêts", spark_warm),
    ]
    print_rows(f"Étude de {n_trials} essais", rows, n_trials)
    rows = [
        (one_process, times["long_storage"]),
        ("MlflowSparkStudy, workers prêts", times["long_spark"]),
    ]
    print_rows(f"Essais allongés à {long_trial:g} s (attente)", rows, n_trials)
    counts = ", ".join(str(sum(statuses.values())) for statuses in children)
    statuses = ", ".join(sorted(set().union(*children)))
    print(f"Runs enfants de chaque étude suivie : {counts} ({statuses})")
    return (
        storage / (start + times["spark_first"]),
        storage / spark_warm,
        times["long_storage"] / times["long_spark"],
    )


def spark_benchmark(quick, repeat):
    """La mesure --spark : l'étude du cours, avec et sans Spark."""
    if quick:
        n_trials, repeat, long_trial = 4, 1, 0.5
    else:
        n_trials, repeat, long_trial = SPARK_TRIALS, max(repeat or 3, 1), LONG_TRIAL
    times, children = measure_spark(n_trials, repeat, long_trial)
    ratios = spark_report(times, children, n_trials, repeat, long_trial)
    print()
    for name, ratio in zip(["spark", "spark_warm", "spark_long"], ratios, strict=True):
        print(f"speedup_{name}={ratio:.2f}")
