"""« Quand une machine ne suffit plus »: the page's blocks, pasted alone into one fresh session
in an empty folder, run the course's Optuna study on a real local Spark (local[2], the page's
8-trial override) and resume it. Read back from the store: every trial is a FINISHED child run
of the one study run, its value is the cross-validated balanced accuracy recomputed here with
scikit-learn on the same folds, the printed best is the best child, and the resumed study adds
its trials under the same study run. No JVM outlives the session. Without Java or PySpark, the
command stops at once with a French message and leaves nothing behind."""

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import optuna
import pytest
from helpers import (
    ROOT,
    assert_no_jvm_left,
    jvms_in,
    page_code,
    run_as_a_learner,
    spark_or_skip,
    store_client,
)
from mlflow.optuna.storage import MlflowStorage
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from snippets import spark_study
from tooling.servers.processes import learner_environment

TRIALS = 8  # the page's 20, cut down for the test
MORE = spark_study.MORE_TRIALS
# The course's folds, from the page « Régler sans tricher »: 5 stratified folds, shuffled, seed 42.
FOLDS = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)


def reference_value(split, C, gamma):
    """The cross-validated balanced accuracy of the course's SVM, computed here."""
    X_train, _, y_train, _ = split
    model = make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))
    return cross_val_score(model, X_train, y_train, cv=FOLDS, scoring="balanced_accuracy").mean()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page's blocks pasted in order into a fresh session in an empty folder, with
    N_TRIALS cut down to TRIALS: (folder, printed lines)."""
    spark_or_skip()
    folder = tmp_path_factory.mktemp("spark-study")
    code, replaced = re.subn(
        r"^N_TRIALS = \d+$", f"N_TRIALS = {TRIALS}", page_code("spark-study.md"), flags=re.M
    )
    assert replaced == 1
    result = run_as_a_learner(code, folder)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_no_jvm_left(folder)
    return folder, result.stdout.splitlines()


@pytest.fixture(scope="module")
def recorded(page):
    """The study run and its child runs, read back from the page's store."""
    client = store_client(page[0])
    experiment = client.get_experiment_by_name(spark_study.SPARK_EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    [study_run] = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    children = [run for run in runs if run is not study_run]
    return study_run, sorted(children, key=lambda run: run.info.start_time)


@pytest.mark.spark
def test_every_trial_is_a_finished_child_of_the_one_study_run(recorded):
    study_run, children = recorded
    assert study_run.info.run_name == spark_study.STUDY_NAME
    assert study_run.info.status == "FINISHED"
    assert len(children) == TRIALS + MORE
    assert {run.data.tags["mlflow.parentRunId"] for run in children} == {study_run.info.run_id}
    assert {run.info.status for run in children} == {"FINISHED"}


@pytest.mark.spark
def test_each_trial_value_is_the_cross_validated_balanced_accuracy(recorded, split):
    for run in recorded[1]:
        C, gamma = float(run.data.params["C"]), float(run.data.params["gamma"])
        assert 1e-2 <= C <= 1e3 and 1e-4 <= gamma <= 1.0  # the course's log-scale ranges
        assert run.data.metrics["value"] == pytest.approx(
            reference_value(split, C, gamma), abs=1e-12
        )


@pytest.mark.spark
def test_the_printed_best_is_the_best_child_of_the_first_trials(page, recorded):
    _, out = page
    study_run, children = recorded
    first = children[:TRIALS]  # the resumed trials started after these had ended
    assert max(run.info.start_time for run in first) < min(
        run.info.start_time for run in children[TRIALS:]
    )
    best_value = max(run.data.metrics["value"] for run in first)
    best = [run for run in first if run.data.metrics["value"] == best_value]  # ties too

    def printed(run):
        C, gamma = float(run.data.params["C"]), float(run.data.params["gamma"])
        return f"C = {C:.4g}, gamma = {gamma:.4g}"

    assert out[0] == f"Spark {version('pyspark')}, maître local[2]"
    assert out[1] == f"Étude « {spark_study.STUDY_NAME} » : {TRIALS} essais lancés par Spark"
    assert out[2] == f"Meilleure valeur (validation croisée) : {best_value:.4f}"
    assert out[3] in [f"Meilleur réglage : {printed(run)}" for run in best]
    assert out[4] == f"Run de l'étude {study_run.info.run_id} : FINISHED"
    assert out[5] == f"{TRIALS} runs enfants : {TRIALS} FINISHED"
    assert out[6] in [f"Meilleur run enfant : {run.info.run_name}" for run in best]
    assert out[7] in [f"  value = {best_value:.4f}, {printed(run)}" for run in best]


@pytest.mark.spark
def test_the_resumed_study_adds_its_trials_under_the_same_study_run(page, recorded):
    _, out = page
    study_run, children = recorded
    assert out[8:] == [
        f"Reprise : {TRIALS} essais, {TRIALS} terminés",
        f"{MORE} essais ajoutés, {TRIALS + MORE} runs enfants",
        f"Run de l'étude {study_run.info.run_id} : FINISHED",
    ]


@pytest.mark.spark
def test_the_checker_counts_the_trials_and_recomputes_the_best(page, recorded, monkeypatch):
    from snippets import verifier

    folder, _ = page
    store = verifier.open_store(f"sqlite:///{folder / 'mlflow.db'}", verifier.COURSE_EXPERIMENT)
    [item] = verifier.verify(store, ["spark-study"])  # the page asks for 20, the test ran fewer
    assert item.status == "à revoir"
    assert f"{TRIALS + MORE} essais terminés, {spark_study.N_TRIALS} attendus" in item.detail
    monkeypatch.setattr(spark_study, "N_TRIALS", TRIALS)
    [item] = verifier.verify(store, ["spark-study"])
    assert item.status == "fait", item
    best = max(recorded[1], key=lambda run: run.data.metrics["value"])
    assert f"({best.data.metrics['value']:.4f})" in item.detail


@pytest.mark.spark
def test_the_pinned_pyspark_is_the_one_installed():
    spark_or_skip()
    pins = (ROOT / "requirements-spark.txt").read_text()
    assert version("pyspark") == re.search(r"^pyspark==(\S+)$", pins, re.M)[1]


def test_an_interrupted_trial_is_marked_killed_and_counts_as_pruned(workdir, split):
    # No Spark needed: the same storage, a trial asked for and never told, as Ctrl+C leaves it.
    experiment = spark_study.setup_tracking(experiment_name=spark_study.SPARK_EXPERIMENT)
    storage = MlflowStorage(experiment_id=experiment.experiment_id)
    study = optuna.create_study(
        study_name=spark_study.STUDY_NAME, storage=storage, direction="maximize"
    )
    X_train, _, y_train, _ = split
    study.optimize(spark_study.make_objective(X_train, y_train), n_trials=2)
    interrupted = study.ask()
    assert spark_study.mark_interrupted_trials(spark_study.STUDY_NAME) == 1
    study_run, children = spark_study.study_runs(spark_study.STUDY_NAME)
    statuses = sorted(run.info.status for run in children)
    assert statuses == ["FINISHED", "FINISHED", "KILLED"]
    # The best child is a finished one: the interrupted trial has no value.
    finished = [run for run in children if run.info.status == "FINISHED"]
    best = max(run.data.metrics["value"] for run in finished)
    assert spark_study.best_trial_run(children).data.metrics["value"] == best
    reread = optuna.load_study(study_name=spark_study.STUDY_NAME, storage=storage)
    states = {trial._trial_id: trial.state for trial in reread.trials}
    assert states[interrupted._trial_id] == optuna.trial.TrialState.PRUNED
    assert spark_study.mark_interrupted_trials(spark_study.STUDY_NAME) == 0
    assert spark_study.study_runs("une-autre-etude") == (None, [])


def fake_java(folder, stderr, code=0):
    """A JAVA_HOME whose bin/java prints stderr and exits with code, as an old Java or
    macOS's stub without a Java runtime do."""
    bin_dir = folder / "jdk" / "bin"
    bin_dir.mkdir(parents=True)
    java = bin_dir / "java"
    java.write_text(f"#!/bin/sh\necho '{stderr}' >&2\nexit {code}\n")
    java.chmod(0o755)
    return folder / "jdk"


@pytest.mark.parametrize(
    ("stderr", "code", "expected"),
    [
        ('openjdk version "11.0.2" 2019-01-15', 0, "Java 11, trop ancien"),
        ('java version "1.8.0_301"', 0, "Java 8, trop ancien"),
        ("The operation couldn't be completed. Unable to locate a Java Runtime.", 1, "introuvable"),
    ],
)
def test_an_old_or_missing_java_stops_with_how_to_install_it(
    tmp_path, monkeypatch, stderr, code, expected
):
    java_home = fake_java(tmp_path, stderr, code)
    monkeypatch.setenv("JAVA_HOME", str(java_home))
    with pytest.raises(SystemExit) as stop:
        spark_study.check_spark_install()
    message = str(stop.value)
    assert (
        f"Spark a besoin de Java 17 ou plus récent (JAVA_HOME={java_home} : {expected})" in message
    )
    assert spark_study.JAVA_INSTALL[sys.platform] in message


def test_without_pyspark_the_check_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    with pytest.raises(SystemExit) as stop:
        spark_study.check_spark_install()
    assert str(stop.value) == (
        "PySpark n'est pas installé. Dans le dossier du cours, lancez :\n"
        '  pip install -e ".[spark]"'
    )


@pytest.mark.slow  # the course's command started twice, as a learner starts it
def test_without_java_the_command_stops_at_once_in_french(tmp_path):
    # Two terminals without Java, run side by side: JAVA_HOME pointing nowhere, and a PATH
    # without java.
    nowhere = tmp_path / "nulle-part"
    cases = {
        f"JAVA_HOME={nowhere}": {"JAVA_HOME": str(nowhere)},
        "la commande java": {"PATH": str(Path(sys.executable).parent)},  # the venv, no java
    }
    commands = {}
    for number, (where, variables) in enumerate(cases.items()):
        env = learner_environment()
        env.pop("JAVA_HOME", None)
        folder = tmp_path / f"cours-{number}"
        folder.mkdir()
        command = subprocess.Popen(
            [sys.executable, "-m", "snippets.spark_study"],
            cwd=folder,
            env={**env, **variables},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        commands[where] = folder, command
    for where, (folder, command) in commands.items():
        out, err = command.communicate(timeout=120)
        assert command.returncode == 1, err
        assert out == ""
        assert "Traceback" not in err
        assert err.startswith(
            f"Spark a besoin de Java 17 ou plus récent ({where} : introuvable).\n"
        )
        assert list(folder.iterdir()) == []  # no store, no Spark folder
        assert jvms_in(folder) == []


def test_the_page_shows_no_output_generated_at_build_time():
    # Learners build the site without Java: the page's output is described, not generated.
    page = (ROOT / "docs" / "spark-study.md").read_text()
    included = re.findall(r'^--8<-- "([^":]+)', page, re.M)
    assert included and all((ROOT / name).is_file() for name in included), included
    assert "python -m snippets.spark_study" in page
    # The numbers the page's prose gives are the module's.
    n, more = spark_study.N_TRIALS, spark_study.MORE_TRIALS
    assert f"soit {n} tâches" in page
    assert f"relit ses {n} essais" in page
    assert f"que les {more} essais qui manquent pour atteindre {n + more}" in page
