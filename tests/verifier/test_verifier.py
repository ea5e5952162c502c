"""`python -m snippets.verifier`: the course's own solutions are all « fait », planted mistakes
are flagged « à revoir » with the hint that names them, a bad store gets a French message, and
nothing is ever written.

Planted stores are written here through MLflow's API with values computed here by scikit-learn
(helpers.reference_metrics), never by the checker's code."""

import re
import shutil
import sqlite3
import time
from pathlib import Path

import mlflow
import pytest
from helpers import (
    MALIGNANT,
    ROOT,
    checked,
    course_command,
    generated_step,
    reference_metrics,
    reference_pipeline,
    run_main,
    snapshot,
    tracking_uri,
)
from mlflow import MlflowClient
from sklearn.metrics import f1_score, roc_auc_score

from snippets import verifier
from snippets.sweep import C_VALUES, GAMMA_VALUES
from tooling.sections import GENERATED_INCLUDE, expand, written_pages
from tooling.servers.processes import free_port

COURSE = "svm-cancer-du-sein"
DEFAULT = {"C": 1.0, "gamma": "scale", "kernel": "rbf"}


def check(uri, *pages, experiment=None):
    """The checker run in this process, as its command runs it: (exit code, items by key)."""
    return checked(uri, *pages, experiment=experiment)


@pytest.fixture
def store(tmp_path):
    """An empty SQLite store of this test, and its experiment of the course."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with tracking_uri(uri):
        mlflow.set_experiment(COURSE)
        yield uri, tmp_path


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """One store for the planted cases, one experiment each (read with --experiment)."""
    folder = tmp_path_factory.mktemp("planted")
    return f"sqlite:///{folder / 'mlflow.db'}", folder


def predictions(split, **params):
    _, X_test, _, y_test = split
    return y_test, reference_pipeline(
        split, params["C"], params["gamma"], params["kernel"]
    ).predict(X_test)


def swapped(metrics_of):
    """The seven metrics written with `tp, fp, fn, tn = confusion_matrix(...).ravel()`."""
    y_true, y_pred = metrics_of
    tn = int(((y_true != MALIGNANT) & (y_pred != MALIGNANT)).sum())
    tp = int(((y_true == MALIGNANT) & (y_pred == MALIGNANT)).sum())
    fp = int(((y_true != MALIGNANT) & (y_pred == MALIGNANT)).sum())
    fn = int(((y_true == MALIGNANT) & (y_pred != MALIGNANT)).sum())
    tp, tn = tn, tp  # the bug: ravel() gives tn first
    return {
        "accuracy": (tp + tn) / (tp + tn + fp + fn),
        "sensitivity": tp / (tp + fn),
        "specificity": tn / (tn + fp),
        "precision": tp / (tp + fp),
        "npv": tn / (tn + fn),
        "fall_out": fp / (fp + tn),
        "fdr": fp / (fp + tp),
    }


def benign_positive(metrics_of):
    """The seven metrics with scikit-learn's default positive class, 1 (benign)."""
    y_true, y_pred = metrics_of
    flipped = reference_metrics(1 - y_true, 1 - y_pred)  # benign becomes label 0
    return flipped


def seven_metrics_run(split, metrics, artifact=True):
    with mlflow.start_run(run_name="sept-metriques"):
        mlflow.log_params(DEFAULT)
        mlflow.log_metrics(metrics)
        if artifact:
            mlflow.log_text("matrice", "confusion_matrix.png")


# A correct store, then one mistake each: (page, item, what the test writes, the words that
# must be in the detail or the hint).
def plant_correct_metrics(split):
    seven_metrics_run(split, reference_metrics(*predictions(split, **DEFAULT)))


def plant_swapped(split):
    seven_metrics_run(split, swapped(predictions(split, **DEFAULT)))


def plant_benign(split):
    seven_metrics_run(split, benign_positive(predictions(split, **DEFAULT)))


def plant_renamed(split):
    metrics = reference_metrics(*predictions(split, **DEFAULT))
    metrics["recall"] = metrics.pop("sensitivity")
    seven_metrics_run(split, metrics)


def plant_no_matrix(split):
    seven_metrics_run(split, reference_metrics(*predictions(split, **DEFAULT)), artifact=False)


def f1_run(split, positive):
    y_true, y_pred = predictions(split, **DEFAULT)
    with mlflow.start_run(run_name="exercice-f1"):
        mlflow.log_metrics(reference_metrics(y_true, y_pred))
        mlflow.log_metric("f1", f1_score(y_true, y_pred, pos_label=positive))


def roc_run(split, artifact):
    _, X_test, _, y_test = split
    scores = -reference_pipeline(split, 1.0, "scale").decision_function(X_test)
    with mlflow.start_run(run_name="exercice-roc"):
        mlflow.log_metric("roc_auc", roc_auc_score(y_test == MALIGNANT, scores))
        if artifact:
            mlflow.log_text("courbe", "roc_curve.png")


MISSING = [(0.01, 1.0), (100.0, 0.001)]  # the two settings left out of the planted sweep


def sweep_runs(split, left_out=()):
    for C in C_VALUES:
        for gamma in GAMMA_VALUES:
            if (C, gamma) in left_out:
                continue
            params = {"C": C, "gamma": gamma, "kernel": "rbf"}
            with mlflow.start_run(run_name=f"svm-C{C}-gamma{gamma}"):
                mlflow.set_tag("sweep", "C-gamma")
                mlflow.log_params(params)
                mlflow.log_metrics(reference_metrics(*predictions(split, **params)))


PLANTED = {
    "metrics-correct": ("metrics", "sept-metriques", plant_correct_metrics, None),
    "swapped-tp-tn": ("metrics", "sept-metriques", plant_swapped, ["tn, fp, fn, tp"]),
    "benign-positive": ("metrics", "sept-metriques", plant_benign, ["bénigne", "pos_label=0"]),
    "metric-renamed": ("metrics", "sept-metriques", plant_renamed, ["sensitivity", "« recall »"]),
    "no-matrix": ("metrics", "sept-metriques", plant_no_matrix, ["confusion_matrix.png"]),
    "f1-correct": ("exercises", "exercice-1", lambda s: f1_run(s, MALIGNANT), None),
    "f1-benign": ("exercises", "exercice-1", lambda s: f1_run(s, 1), ["bénigne", "pos_label"]),
    "roc-correct": ("exercises", "exercice-2", lambda s: roc_run(s, True), None),
    "roc-missing": ("exercises", "exercice-2", lambda s: roc_run(s, False), ["roc_curve.png"]),
    "sweep-correct": ("sweep", "balayage", sweep_runs, None),
    "sweep-two-missing": (
        "sweep",
        "balayage",
        lambda s: sweep_runs(s, MISSING),
        [f"C={C} gamma={gamma}" for C, gamma in MISSING] + ["2 réglages"],
    ),
}


SWEEPS = [case for case in PLANTED if case.startswith("sweep")]  # 20 runs each: slow


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[pytest.mark.slow] if c in SWEEPS else []) for c in PLANTED],
)
def test_each_planted_mistake_is_flagged_with_its_hint(planted, split, case):
    uri, folder = planted
    page, key, plant, words = PLANTED[case]
    with tracking_uri(uri):
        mlflow.set_experiment(case)
        plant(split)
    before = snapshot(folder)
    code, items = check(uri, page, experiment=case)
    item = items[(page, key)]
    if words is None:
        assert item["status"] == "fait", item
    else:
        assert item["status"] == "à revoir", item
        said = f"{item['detail']} {item['hint']}"
        for word in words:
            assert word in said, (word, said)
        assert code == 1
    assert snapshot(folder) == before


@pytest.mark.slow
def test_a_sweep_run_with_wrong_metrics_names_its_setting(store, split):
    uri, _ = store
    sweep_runs(split, left_out=[(10.0, 0.01)])
    params = {"C": 10.0, "gamma": 0.01, "kernel": "rbf"}
    with mlflow.start_run():
        mlflow.set_tag("sweep", "C-gamma")
        mlflow.log_params(params)
        mlflow.log_metrics(swapped(predictions(split, **params)))
    _, items = check(uri, "sweep")
    item = items[("sweep", "balayage")]
    assert item["status"] == "à revoir"
    assert "C=10.0, gamma=0.01" in item["detail"] and "tn, fp, fn, tp" in item["hint"]


def test_in_an_empty_folder_the_checker_creates_nothing(workdir):
    code, out, err = run_here(workdir)
    assert code == 1 and out == ""
    assert "Aucun magasin de suivi ici" in err and "mlflow.db" in err
    assert list(workdir.iterdir()) == []


@pytest.mark.slow  # the command in a subprocess, as a learner types it
def test_an_empty_folder_gets_a_french_message_and_stays_empty(tmp_path):
    started = time.monotonic()
    result = course_command("verifier", folder=tmp_path, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "Aucun magasin de suivi ici" in result.stderr and "mlflow.db" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_store_says_not_yet_for_every_page_and_writes_nothing(store, split):
    uri, folder = store
    before = snapshot(folder)
    code, items = check(uri)
    assert code == 1
    assert {item["status"] for item in items.values()} == {"pas encore"}
    pages = {page for page, _ in items}
    assert pages == set(verifier.PAGES) - {"databricks-tracking"}
    assert snapshot(folder) == before


@pytest.fixture
def correct_store(store, split):
    uri, folder = store
    plant_correct_metrics(split)
    return uri, folder


def run_here(folder, *args):
    """The checker's main() in folder, as the command runs it: (exit code, out, err)."""
    return run_main(verifier.main, *args, folder=folder)


@pytest.mark.slow
def test_a_store_of_another_mlflow_version_says_what_to_do(correct_store, tmp_path, workdir):
    from mlflow.store.db.utils import _get_latest_schema_revision

    _, folder = correct_store
    versions = Path(mlflow.__file__).parent / "store" / "db_migrations" / "versions"
    head = _get_latest_schema_revision()
    older = next(
        p.name.split("_")[0] for p in sorted(versions.glob("*_*.py")) if head not in p.name
    )
    for revision, words in [(older, "mlflow db upgrade"), ("0123456789ab", "plus récente")]:
        copy = tmp_path / revision / "mlflow.db"
        copy.parent.mkdir()
        shutil.copy(folder / "mlflow.db", copy)
        connection = sqlite3.connect(copy)
        with connection:
            connection.execute("update alembic_version set version_num = ?", (revision,))
        connection.close()
        before = snapshot(copy.parent)
        code, _, err = run_here(copy.parent)
        assert code == 1 and words in err, err
        assert snapshot(copy.parent) == before


@pytest.mark.slow
def test_a_file_that_is_not_a_store_is_named(workdir):
    (workdir / "mlflow.db").write_text("pas une base\n")
    before = snapshot(workdir)
    code, _, err = run_here(workdir)
    assert code == 1 and "n'est pas un magasin de suivi MLflow" in err
    assert snapshot(workdir) == before


@pytest.mark.slow
def test_an_unknown_experiment_lists_those_of_the_store(correct_store, workdir):
    _, folder = correct_store
    code, _, err = run_here(folder, "--experiment", "alice")
    assert code == 1
    assert "« alice » n'existe pas" in err and COURSE in err


@pytest.mark.slow
def test_an_unreachable_server_is_said_in_french_within_seconds(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = course_command("verifier", "--tracking-uri", url, folder=tmp_path, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert f"Le serveur de suivi {url} ne répond pas" in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


def test_an_unknown_page_is_refused_by_the_parser(workdir):
    code, _, err = run_here(workdir, "--page", "premier")
    assert code == 2
    assert "argument --page" in err and "first-run" in err
    assert list(workdir.iterdir()) == []


@pytest.mark.slow
def test_the_text_report_gives_one_line_per_step_status_first(correct_store, workdir):
    _, folder = correct_store
    code, out, _ = run_here(folder, "--page", "metrics")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Magasin de suivi : sqlite:///mlflow.db"
    assert lines[1].startswith("fait ") and "Sept métriques" in lines[1]
    assert lines[-1] == "Bilan : fait 1, pas encore 0, à revoir 0 (1 étape vérifiée)."


PAGE_FILES = {
    page.stem: page
    for page in written_pages()
    if "includes" not in page.relative_to(ROOT / "docs").parts
}


@pytest.mark.parametrize("page", verifier.PAGES)
def test_each_checked_page_ends_with_its_check(page):
    text = expand(GENERATED_INCLUDE.sub("", PAGE_FILES[page].read_text()))  # code included
    last = text[text.rindex("\n## ") :]
    assert last.startswith("\n## Vérifiez votre travail\n")
    assert re.search(rf"python -m snippets\.verifier --page {page}\b", last)


# The course's own solutions, as the site's build ran them: every step « fait ».
GENERATED = {
    "local": ["first-run", "metrics", "logged-model", "sweep"],
    "algorithms": ["algorithms"],
    "autolog": ["autolog"],
    "further": ["datasets", "tuning", "evaluation", "registry"],
}


@pytest.mark.parametrize("step", GENERATED)
def test_the_pages_as_pasted_by_the_build_are_all_done(site, step):
    folder = generated_step(step) / "cours-mlflow"
    before = snapshot(folder)
    code, items = check(f"sqlite:///{folder / 'mlflow.db'}", *GENERATED[step])
    assert {page for page, _ in items} == set(GENERATED[step])
    assert [item for item in items.values() if item["status"] != "fait"] == []
    assert code == 0
    assert snapshot(folder) == before


def test_the_sweep_page_shows_the_real_check_of_the_local_pages(site):
    page = (site / "local" / "sweep" / "index.html").read_text()
    block = page[page.index("python -m snippets.verifier --page first-run") :]
    assert "Magasin de suivi : sqlite:///mlflow.db" in block
    assert block.count("\nfait ") + block.count(">fait ") >= 5
    assert "Bilan : fait 5, pas encore 0, à revoir 0" in block


def test_a_teacher_checks_one_learner_on_the_server(databricks_server, tmp_path):
    experiment = f"svm-cancer-du-sein-{tmp_path.name}"
    learner = course_command(
        "first_run",
        folder=tmp_path,
        MLFLOW_TRACKING_URI=databricks_server,
        MLFLOW_EXPERIMENT_NAME=experiment,
    )
    assert learner.returncode == 0, learner.stderr
    client = MlflowClient(databricks_server)
    experiments = {e.name for e in client.search_experiments()}
    code, items = check(databricks_server, "first-run", experiment=experiment)
    assert items[("first-run", "premier-run")]["status"] == "fait"
    assert code == 0
    assert {e.name for e in client.search_experiments()} == experiments
    result = course_command(
        "verifier", "--tracking-uri", databricks_server, "--experiment", experiment,
        "--page", "datasets", folder=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "gardent leurs propres expériences" in result.stderr, result.stderr


@pytest.mark.slow
def test_an_evaluation_with_the_benign_class_positive_is_flagged(store, split):
    from sklearn.metrics import confusion_matrix

    from snippets.evaluation import EVALUATION_EXPERIMENT

    uri, _ = store
    y_true, y_pred = predictions(split, **DEFAULT)
    # mlflow.models.evaluate without pos_label: label 1 (benign) is the positive class.
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    mlflow.set_experiment(EVALUATION_EXPERIMENT)
    with mlflow.start_run(run_name="etude-optuna"):
        mlflow.log_params(DEFAULT)
    with mlflow.start_run(run_name="evaluation-modele-choisi"):
        counts = {"true_positives": tp, "false_positives": fp}
        counts |= {"false_negatives": fn, "true_negatives": tn}
        mlflow.log_metrics({name: int(value) for name, value in counts.items()})
        for figure in ["confusion_matrix", "roc_curve_plot", "precision_recall_curve_plot"]:
            mlflow.log_text("figure", f"{figure}.png")
    _, items = check(uri, "evaluation")
    item = items[("evaluation", "evaluation-modele-choisi")]
    assert item["status"] == "à revoir"
    assert f"{int((y_true != MALIGNANT).sum())} positifs" in item["detail"]
    assert "pos_label" in item["hint"]
