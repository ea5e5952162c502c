"""Page « Quand une machine ne suffit plus » : l'étude Optuna de la page « Régler sans
tricher », dont Spark exécute les essais. MLflow garde l'étude : un run pour l'étude, un
run enfant par essai (MlflowStorage), que MlflowSparkStudy reprend par son nom.

En ligne de commande : python -m snippets.spark_study
(il faut PySpark, pip install -e ".[spark]", et Java 17)
"""

# --8<-- [start:imports]
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import mlflow
from mlflow.optuna.storage import MlflowStorage

# --8<-- [end:imports]
from snippets.data import load_data
from snippets.first_run import setup_tracking
from snippets.tuning import make_objective

# --8<-- [start:check]
JAVA_INSTALL = {
    "linux": "sudo apt-get install -y openjdk-17-jre-headless (Debian, Ubuntu)",
    "darwin": "brew install --cask microsoft-openjdk@17",
    "win32": "winget install Microsoft.OpenJDK.17, puis ouvrez un nouveau terminal",
}


def java_version():
    """La version du Java que lancera Spark (celui de JAVA_HOME, sinon celui du PATH),
    et où il est ; version None si ce Java est introuvable ou ne répond pas."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = shutil.which("java", path=str(Path(java_home) / "bin"))
        where = f"JAVA_HOME={java_home}"
    else:
        java = shutil.which("java")
        where = "la commande java"
    if java is None:
        return None, where
    try:
        answer = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, where
    found = re.search(r'version "(\d+)(?:\.(\d+))?', answer.stderr)
    if found is None:
        return None, where
    major = int(found[1])
    return (int(found[2] or 0) if major == 1 else major), where  # « 1.8 » : Java 8


def check_spark_install():
    """S'arrête, avec la marche à suivre, s'il manque PySpark ou Java 17."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SystemExit(
            "PySpark n'est pas installé. Dans le dossier du cours, lancez :\n"
            '  pip install -e ".[spark]"'
        ) from None
    version, where = java_version()
    if version is None or version < 17:
        found = "introuvable" if version is None else f"Java {version}, trop ancien"
        install = JAVA_INSTALL.get(sys.platform, JAVA_INSTALL["linux"])
        raise SystemExit(
            f"Spark a besoin de Java 17 ou plus récent ({where} : {found}).\n"
            f"Installez-le : {install}\n"
            "Si Java 17 est déjà installé ailleurs, faites pointer JAVA_HOME vers lui."
        )


# --8<-- [end:check]

# --8<-- [start:settings]
SPARK_EXPERIMENT = "etude-optuna-spark"
STUDY_NAME = "svm-c-gamma"  # le nom du run de l'étude, qui permet de la reprendre
N_TRIALS = 20
MORE_TRIALS = 4  # les essais ajoutés à la reprise


def complete_study(study, objective, n_trials):
    """Lance les essais qui manquent à l'étude pour en compter n_trials terminés ;
    renvoie leur nombre (0 si l'étude est déjà complète)."""
    missing = n_trials - study.completed_trials_count
    if missing > 0:
        study.optimize(objective, n_trials=missing)
    return max(missing, 0)


# --8<-- [end:settings]


# --8<-- [start:read_back]
def study_runs(study_name):
    """Le run de l'étude et ses runs enfants (les essais), relus dans MLflow ;
    (None, []) si l'expérience active n'a pas d'étude de ce nom."""
    found = mlflow.search_runs(
        filter_string=f"tags.mlflow.runName = '{study_name}'", output_format="list"
    )
    if not found:
        return None, []
    [study_run] = found
    trials = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{study_run.info.run_id}'",
        output_format="list",
    )
    return study_run, trials


def best_trial_run(trials):
    """Le run enfant terminé (FINISHED) de plus haute valeur : un essai interrompu
    n'a pas de valeur."""
    finished = [trial for trial in trials if trial.info.status == "FINISHED"]
    return max(finished, key=lambda trial: trial.data.metrics["value"])


# --8<-- [end:read_back]


# --8<-- [start:interrupted]
def mark_interrupted_trials(study_name):
    """Les essais restés RUNNING après une interruption passent KILLED : Optuna les
    compte alors comme élagués (PRUNED). À ne lancer que si aucune autre session ne
    travaille sur cette étude. Renvoie leur nombre."""
    _, trials = study_runs(study_name)
    interrupted = [trial for trial in trials if trial.info.status == "RUNNING"]
    for trial in interrupted:
        mlflow.MlflowClient().set_terminated(trial.info.run_id, status="KILLED")
    return len(interrupted)


# --8<-- [end:interrupted]


def main():
    # --8<-- [start:spark]
    check_spark_install()
    from mlflow.pyspark.optuna.study import MlflowSparkStudy
    from pyspark.sql import SparkSession

    # Les exécuteurs lancent ce Python-ci, où scikit-learn et MLflow sont installés.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")  # (1)!
        .appName("etude-optuna")
        .config("spark.ui.showConsoleProgress", "false")  # sans barre de progression
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")  # (2)!
    print(f"Spark {spark.version}, maître {spark.sparkContext.master}")
    # --8<-- [end:spark]

    # --8<-- [start:study]
    experiment = setup_tracking(experiment_name=SPARK_EXPERIMENT)
    X_train, X_test, y_train, y_test = load_data()
    objective = make_objective(X_train, y_train)  # (1)!

    if interrupted := mark_interrupted_trials(STUDY_NAME):  # (2)!
        print(f"{interrupted} essais interrompus, marqués KILLED")
    storage = MlflowStorage(experiment_id=experiment.experiment_id)  # (3)!
    study = MlflowSparkStudy(STUDY_NAME, storage, direction="maximize")  # (4)!
    added = complete_study(study, objective, N_TRIALS)  # (5)!
    best_C, best_gamma = study.best_params["C"], study.best_params["gamma"]
    print(f"Étude « {STUDY_NAME} » : {added} essais lancés par Spark")
    print(f"Meilleure valeur (validation croisée) : {study.best_value:.4f}")
    print(f"Meilleur réglage : C = {best_C:.4g}, gamma = {best_gamma:.4g}")
    # --8<-- [end:study]

    # --8<-- [start:show]
    study_run, trials = study_runs(STUDY_NAME)
    statuses = Counter(trial.info.status for trial in trials)  # {statut: nombre}
    counts = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    print(f"Run de l'étude {study_run.info.run_id} : {study_run.info.status}")
    print(f"{len(trials)} runs enfants : {counts}")
    best = best_trial_run(trials)
    value = best.data.metrics["value"]
    C, gamma = float(best.data.params["C"]), float(best.data.params["gamma"])
    print(f"Meilleur run enfant : {best.info.run_name}")
    print(f"  value = {value:.4f}, C = {C:.4g}, gamma = {gamma:.4g}")
    # --8<-- [end:show]

    # --8<-- [start:resume]
    resumed = MlflowSparkStudy(STUDY_NAME, storage, direction="maximize")
    info = resumed.get_resume_info()
    print(f"Reprise : {info.existing_trials} essais, {info.completed_trials} terminés")
    added = complete_study(resumed, objective, N_TRIALS + MORE_TRIALS)
    study_run, trials = study_runs(STUDY_NAME)
    print(f"{added} essais ajoutés, {len(trials)} runs enfants")
    print(f"Run de l'étude {study_run.info.run_id} : {study_run.info.status}")
    # --8<-- [end:resume]

    # --8<-- [start:stop]
    spark.stop()
    # --8<-- [end:stop]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(
        main,
        interrupted="Interrompu (Ctrl+C). Relancez la commande : l'étude reprend, "
        "et ses essais restés RUNNING sont marqués KILLED.",
    )
