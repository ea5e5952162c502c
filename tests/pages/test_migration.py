"""« Venir de MLflow 2 »: each old pattern of the page really fails or warns (or stays silent)
when run here, against a private store; the site shows the message it gave at build time
(migration_step); and the replacements, pasted in page order into one fresh session in an
empty folder, and run as `python -m snippets.migration`, record what the page says, checked
against scikit-learn's own numbers computed here. The shell command copies an old file store
into SQLite."""

import inspect
import logging
import math
import os
import re
import subprocess
import sys
import warnings

import mlflow
import numpy as np
import pytest
from helpers import (
    MALIGNANT,
    ROOT,
    generated_step,
    pasted_page,
    reference_pipeline,
    store_client,
    tracking_uri,
)
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.metrics import (
    accuracy_score,
    mean_squared_error,
    precision_score,
    recall_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from snippets import migration
from tooling.sections import python_blocks, section
from tooling.servers.processes import learner_environment
from tooling.website.steps import migration_step as tooling_migration

PAGE = ROOT / "docs" / "migration.md"
DIAGNOSTIC = ROOT / "docs" / "diagnostic.md"
HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")
# What the warning MLflow logs is about, for the patterns that only warn through its logs.
LOGGED_ABOUT = {"artifact_path": "artifact_path", "autolog": "cloudpickle"}
RANDOM_NAME = re.compile(r"^[a-z]+-[a-z]+-\d+$")  # MLflow's names: two words and a number


# The page and the machinery agree on the patterns, without running anything.


def test_each_pattern_shows_old_code_message_and_replacement_in_page_order():
    text = PAGE.read_text()
    positions = []
    for name in tooling_migration.PATTERNS:
        parts = [
            f'--8<-- "snippets/migration.py:old_{name}"',
            f'--8<-- "migration_{name}.txt"',
            f'--8<-- "snippets/migration.py:new_{name}"',
        ]
        found = [text.index(part) for part in parts]
        assert found == sorted(found), name
        positions.append(found[0])
    assert positions == sorted(positions)
    assert len(tooling_migration.PATTERNS) >= 10
    assert tooling_migration.OUTPUTS == [f"migration_{n}.txt" for n in tooling_migration.PATTERNS]


def test_the_session_holds_the_replacements_and_none_of_the_old_code():
    session = "\n\n".join(python_blocks(PAGE))
    assert session.startswith(section("migration.py:imports"))
    for name in tooling_migration.PATTERNS:
        assert section(f"migration.py:new_{name}") in session
        assert section(f"migration.py:old_{name}") not in session


def test_the_build_machinery_imports_no_mlflow():
    # The generation imports it before MLflow: the import must stay light.
    module = "tooling.website.steps.migration_step"
    code = f"import sys, {module}; print([m for m in sys.modules if m[:6] == 'mlflow'])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_messages_lose_paths_and_identifiers(tmp_path):
    run_id, model_id = "0123456789abcdef" * 2, "m-" + "fedcba9876543210" * 2
    text = f"Run with UUID {run_id} at {tmp_path}/nested/x.txt, model {model_id} in {tmp_path}"
    assert tooling_migration.scrub(text, tmp_path) == (
        "Run with UUID <run_id> at nested/x.txt, model m-<model_id> in ."
    )


def test_an_exception_is_kept_as_python_shows_its_last_lines():
    shown = (
        "Traceback (most recent call last):\n"
        '  File "ancien_code.py", line 2, in <module>\n'
        "    client.list_experiments()\n"
        "    ^^^^^^^^^^^^^^^^^^^^^^^\n"
        "AttributeError: no list_experiments. Did you mean: 'get_experiment'?\n"
    )
    assert tooling_migration.exception_line(shown) == (
        "AttributeError: no list_experiments. Did you mean: 'get_experiment'?"
    )


def test_squared_is_gone_from_scikit_learn(split):
    # The parameter is gone from the signature; the old call fails before computing anything.
    assert "squared" not in inspect.signature(mean_squared_error).parameters
    model = reference_pipeline(split, 1.0, "scale")
    with pytest.raises(TypeError, match="squared"):
        migration.old_squared(model, split[1], split[3])


# The old code, run here in this process against a private store: what MLflow says to it.


class Observed:
    """What a call printed through MLflow: its exception, its warnings, its log records."""

    def __init__(self):
        self.error, self.warnings, self.records, self.value = None, [], [], None
        self.run_id = None  # the last run the call started

    def lines(self):
        """The messages as Python and MLflow's handler show them, without time or place."""
        lines = [f"{w.category.__name__}: {w.message}" for w in self.warnings]
        lines += [f"{r.levelname} {r.name}: {r.getMessage()}" for r in self.records]
        return lines + ([self.error_line()] if self.error is not None else [])

    def error_line(self):
        kind = type(self.error)
        module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
        return f"{module}{kind.__qualname__}: {self.error}"

    def key_line(self, about=""):
        """The message the pattern is about: its error, else its deprecation, else the
        warning MLflow logged about `about`; None when the old code runs silently."""
        if self.error is not None:
            return self.error_line()
        future = [w for w in self.warnings if w.category is FutureWarning]
        if future:
            return f"FutureWarning: {future[0].message}"
        # Here, under pytest, MLflow also logs warnings that a learner's session hides.
        records = [r for r in self.records if about in r.getMessage()]
        if records:
            return f"{records[0].levelname} {records[0].name}: {records[0].getMessage()}"
        return None


class Records(logging.Handler):
    def __init__(self, observed):
        super().__init__(logging.WARNING)
        self.observed = observed

    def emit(self, record):
        self.observed.records.append(record)


def last_run_id():
    """The id of the last run this process ended, if it lives in the current store: an
    earlier test's last run lives in another store, where MLflow cannot find it (the old
    file store of the first pattern even raises a bare Exception)."""
    try:
        last = mlflow.last_active_run()
    except Exception:  # noqa: BLE001 (MlflowException, or the file store's bare Exception)
        return None
    return last.info.run_id if last else None


def observe(function, *args):
    observed = Observed()
    handler = Records(observed)
    logging.getLogger("mlflow").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            before = last_run_id()
            try:
                observed.value = function(*args)
            except Exception as error:  # noqa: BLE001 (what the old code raises is the point)
                observed.error = error
            last = last_run_id()
            if last is not None and last != before:
                observed.run_id = last
        observed.warnings = [w for w in caught if w.category in (FutureWarning, UserWarning)]
    finally:
        logging.getLogger("mlflow").removeHandler(handler)
    return observed


def evaluate_as_the_page(model_info, X_test, y_test):
    """The page's replacement call, with the settings its text explains."""
    config = {"pos_label": MALIGNANT, "log_model_explainability": False}
    with mlflow.start_run():
        return mlflow.models.evaluate(
            model_info.model_uri,
            X_test.assign(target=y_test),
            targets="target",
            model_type="classifier",
            evaluator_config=config,
        )


@pytest.fixture(scope="module")
def old(tmp_path_factory, split):
    """{pattern: Observed}, each old function called as the page's session would reach it,
    in a private store; and a client on that store."""
    folder = tmp_path_factory.mktemp("old")
    previous = os.getcwd()
    os.chdir(folder)  # the artifacts go under the current directory
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    X_train, X_test, y_train, y_test = split
    model = reference_pipeline(split, 1.0, "scale")
    found = {}
    try:
        with tracking_uri(uri):
            mlflow.set_experiment(migration.EXPERIMENT)
            # MLflow keeps one store per URI in a process: an earlier test's file store for
            # the relative file:./mlruns would be reused here, in another folder.
            from mlflow.tracking._tracking_service.utils import _tracking_store_registry

            _tracking_store_registry._get_store_with_resolved_uri.cache_clear()
            found["file_store"] = observe(migration.old_file_store)
            mlflow.set_tracking_uri(uri)
            found["list_experiments"] = observe(migration.old_list_experiments)
            found["nested"] = observe(migration.old_nested)
            found["artifact_path"] = observe(migration.old_artifact_path, model)
            found["no_name"] = observe(migration.old_no_name, model)
            with mlflow.start_run() as run:  # a model named "model", the MLflow 3 way
                info = mlflow.sklearn.log_model(
                    model, name="model", pip_requirements=migration.REQUIREMENTS
                )
            found["runs_uri"] = observe(migration.old_runs_uri, run)
            found["artifact_uri"] = observe(migration.old_artifact_uri, model)
            found["squared"] = observe(migration.old_squared, model, X_test, y_test)
            found["evaluate"] = observe(migration.old_evaluate, info, X_test, y_test)
            found["new_evaluate"] = observe(evaluate_as_the_page, info, X_test, y_test)
            found["stages"] = observe(migration.old_stages, info)
            found["latest_versions"] = observe(migration.old_latest_versions)
            try:
                found["autolog"] = observe(migration.old_autolog, X_train, y_train)
            finally:
                mlflow.sklearn.autolog(disable=True)
            yield found, MlflowClient(uri), run
    finally:
        while mlflow.active_run():
            mlflow.end_run()
        os.chdir(previous)


@pytest.mark.slow  # models logged, one with its requirements inferred, and autologging
def test_the_old_code_fails_or_warns_as_the_page_says(old, split):
    found, client, run = old
    assert set(found) == {*tooling_migration.PATTERNS, "new_evaluate"}
    errors = {
        "file_store": MlflowException,
        "list_experiments": AttributeError,
        "nested": Exception,
        "no_name": MlflowException,
        "artifact_uri": MlflowException,
        "squared": TypeError,
    }
    for name in tooling_migration.PATTERNS:
        observed = found[name]
        if name in errors:
            assert isinstance(observed.error, errors[name]), name
        else:
            assert observed.error is None, (name, observed.error)
    assert not hasattr(MlflowClient, "list_experiments")
    assert "nested=True" in str(found["nested"].error)
    assert "maintenance mode" in str(found["file_store"].error)
    assert "MLFLOW_ALLOW_FILE_STORE" in str(found["file_store"].error)

    deprecated = {
        "evaluate": "mlflow.evaluate",
        "stages": "transition_model_version_stage",
        "latest_versions": "get_latest_versions",
    }
    for name, function in deprecated.items():
        future = [w for w in found[name].warnings if w.category is FutureWarning]
        assert len(future) == 1 and function in str(future[0].message), name
    [record] = found["artifact_path"].records
    assert "artifact_path" in record.getMessage() and record.levelname == "WARNING"
    assert any("cloudpickle" in r.getMessage() for r in found["autolog"].records)
    # Silent: the old runs:/ address and the stage address load a model that predicts right;
    # the stage's only message is the transition's.
    assert found["runs_uri"].lines() == []
    assert [w.category for w in found["stages"].warnings] == [FutureWarning]
    assert found["stages"].records == []
    X_test = split[1]
    reference = reference_pipeline(split, 1.0, "scale").predict(X_test)
    for name in ["runs_uri", "stages"]:
        assert (found[name].value.predict(X_test) == reference).all(), name


@pytest.mark.slow
def test_mlflow_models_evaluate_keeps_only_the_messages_the_page_says(old, split):
    found, _, _ = old
    old_lines, new_lines = found["evaluate"].lines(), found["new_evaluate"].lines()
    assert [line for line in new_lines if line.startswith("FutureWarning")] == []
    # The two messages about the integer target come back; the SHAP one goes.
    kept = [line for line in old_lines[1:] if "SHAP" not in line]
    assert len(kept) == 2 and all(line in new_lines for line in kept)
    assert any("SHAP" in line for line in old_lines)
    assert not any("SHAP" in line for line in new_lines)
    # Without pos_label, the old call's positive class is 1, the benign tumour.
    _, X_test, _, y_test = split
    predicted = reference_pipeline(split, 1.0, "scale").predict(X_test)
    for key, label in [("evaluate", 1), ("new_evaluate", MALIGNANT)]:
        expected = recall_score(y_test, predicted, pos_label=label)
        assert found[key].value.metrics["recall_score"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.slow
def test_what_the_old_code_leaves_in_the_store(old, split):
    found, client, run = old
    X_train, _, y_train, _ = split
    experiment = client.get_experiment_by_name(migration.EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    # The nested error ends the outer run as FAILED, with no child.
    [outer] = [r for r in runs if r.info.run_name == "recherche"]
    assert outer.info.status == "FAILED"
    assert not [r for r in runs if r.data.tags.get("mlflow.parentRunId") == outer.info.run_id]
    # artifact_path warns, yet the model is logged; without a name, MLflow draws one.
    models = client.search_logged_models([experiment.experiment_id], max_results=100)
    by_run = {}
    for model in models:
        by_run.setdefault(model.source_run_id, []).append(model.name)
    assert by_run[found["artifact_path"].run_id] == ["model"]
    [drawn] = by_run[found["no_name"].run_id]
    assert drawn != "model" and RANDOM_NAME.match(drawn)
    # autolog's defaults: weighted training precision and recall, not the malignant class's.
    autologged = [r for r in runs if "training_precision_score" in r.data.metrics]
    [metrics] = [r.data.metrics for r in autologged]
    predicted = reference_pipeline(split, 1.0, "scale").predict(X_train)
    weighted = precision_score(y_train, predicted, average="weighted")
    assert metrics["training_precision_score"] == pytest.approx(weighted, abs=1e-12)
    malignant = precision_score(y_train, predicted, pos_label=MALIGNANT)
    assert metrics["training_precision_score"] != pytest.approx(malignant, abs=1e-6)
    [version] = client.search_model_versions(f"name = '{migration.REGISTERED_MODEL}'")
    assert version.current_stage == "Production"


# The messages the site shows, produced at build time in fresh processes.


def shown(name):
    return (generated_step("migration") / f"migration_{name}.txt").read_text()


def test_the_site_shows_the_message_each_old_pattern_gets(site, old):
    found, _, _ = old
    for name in tooling_migration.PATTERNS:
        text = shown(name)
        assert "/tmp" not in text and not HEX_ID.search(text), name
        key = found[name].key_line(LOGGED_ABOUT.get(name, ""))
        if key is None:
            assert text == "(aucun message)\n", name
            continue
        # The build ran the old code in a fresh process: it gave the same message first.
        assert text.startswith(HEX_ID.sub("<run_id>", key)), (name, text)


def test_the_diagnostic_quotes_the_messages_the_site_shows(site):
    text = DIAGNOSTIC.read_text()
    section_text = text.split("## Du code écrit pour MLflow 2")[1].split("\n## ")[0]
    entry = re.compile(r'^\?\?\? \w+ "«\s(.*?)\s»"\n(.*?)(?=^\?\?\? |\Z)', re.S | re.M)
    entries = entry.findall(section_text)
    assert len(entries) >= 6
    for title, body in entries:
        messages = "".join(shown(n) for n in re.findall(r'--8<-- "migration_(\w+)\.txt"', body))
        assert messages
        for fragment in title.split("…"):
            assert fragment.strip() in messages, title


# The replacements: the page pasted into a fresh session in an empty folder.


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page pasted alone in an empty folder: the folder and what it printed."""
    return pasted_page(tmp_path_factory, "migration.md")


def test_the_command_runs_the_page_s_replacements_in_page_order():
    # python -m snippets.migration runs main(): the page's blocks, in the page's order.
    source = inspect.getsource(migration.main)
    in_main = re.findall(r"# --8<-- \[start:(\w+)\]", source)
    assert in_main == ["setup", *(f"new_{name}" for name in tooling_migration.PATTERNS)]
    session = "\n\n".join(python_blocks(PAGE))
    ordered = [session.index(section(f"migration.py:{name}")) for name in in_main]
    assert ordered == sorted(ordered)


def runs_by_name(client):
    experiment = client.get_experiment_by_name(migration.EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert {run.info.status for run in runs} == {"FINISHED"}
    return experiment, {run.info.run_name: run for run in runs}


def check_store(folder, split):
    X_train, X_test, y_train, y_test = split
    client = store_client(folder)
    experiment, runs = runs_by_name(client)
    reference = reference_pipeline(split, 1.0, "scale")
    predicted = reference.predict(X_test)

    # Nested runs: one child per C, each with the accuracy of its own SVM.
    parent = runs["recherche"]
    children = [r for r in runs.values() if r.data.tags.get("mlflow.parentRunId")]
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent.info.run_id}
    assert sorted(float(r.data.params["C"]) for r in children) == [0.1, 1.0, 10.0]
    for child in children:
        C = float(child.data.params["C"])
        svm = make_pipeline(StandardScaler(), SVC(C=C)).fit(X_train, y_train)
        expected = accuracy_score(y_test, svm.predict(X_test))
        assert child.data.metrics == {"accuracy": pytest.approx(expected, abs=1e-12)}

    # The models: named as the page names them, each in its own run.
    models = client.search_logged_models([experiment.experiment_id])
    by_run = {m.source_run_id: m for m in models}
    assert by_run[runs["svm"].info.run_id].name == "model"
    assert by_run[runs["svm-nomme"].info.run_id].name == "svm"
    relu = by_run[runs["svm-relu"].info.run_id]
    with tracking_uri(f"sqlite:///{folder / 'mlflow.db'}"):
        loaded = mlflow.pyfunc.load_model(f"models:/{relu.model_id}")
        assert (loaded.predict(X_test) == predicted).all()
        autologged = by_run[runs["svm-autolog"].info.run_id]
        info = mlflow.models.get_model_info(f"models:/{autologged.model_id}")
        assert info.flavors["sklearn"]["serialization_format"] == "skops"

    # Autologging with the course's positive class: malignant precision and recall.
    train_predicted = reference.predict(X_train)
    autolog = runs["svm-autolog"].data.metrics
    for metric, score in [("precision", precision_score), ("recall", recall_score)]:
        expected = score(y_train, train_predicted, pos_label=MALIGNANT)
        assert autolog[f"training_{metric}_score"] == pytest.approx(expected, abs=1e-12)

    # RMSE of 0/1 predictions: the square root of the error rate.
    rmse = math.sqrt(np.mean((np.asarray(y_test) - predicted) ** 2))
    assert runs["rmse"].data.metrics["rmse"] == pytest.approx(rmse, abs=1e-12)
    error_rate = 1 - accuracy_score(y_test, predicted)
    assert rmse == pytest.approx(math.sqrt(error_rate), abs=1e-12)

    # mlflow.models.evaluate with malignant as the positive class.
    evaluated = runs["evaluation"].data.metrics
    expected_recall = recall_score(y_test, predicted, pos_label=MALIGNANT)
    assert evaluated["recall_score"] == pytest.approx(expected_recall, abs=1e-12)
    true_positives = int(((y_test == MALIGNANT) & (predicted == MALIGNANT)).sum())
    assert evaluated["true_positives"] == true_positives

    # The registry: one version, from the svm-relu model, under the alias champion.
    [version] = client.search_model_versions(f"name = '{migration.REGISTERED_MODEL}'")
    assert version.source == f"models:/{relu.model_id}"
    assert version.run_id == runs["svm-relu"].info.run_id
    assert version.current_stage == "None"
    assert client.get_registered_model(migration.REGISTERED_MODEL).aliases == {"champion": 1}


@pytest.mark.slow  # the page's blocks, with an autologged model and an evaluation
def test_the_replacements_record_what_the_page_says(page, split):
    folder, printed = page
    check_store(folder, split)
    assert {path.name for path in folder.iterdir()} == {"mlflow.db", "mlruns"}
    X_test, y_test = split[1], split[3]
    predicted = reference_pipeline(split, 1.0, "scale").predict(X_test)
    recall = recall_score(y_test, predicted, pos_label=MALIGNANT)
    assert printed[0] == "URI de suivi : sqlite:///mlflow.db"
    assert "3 runs enfants sous le run « recherche »" in printed
    assert "Le modèle rechargé prédit comme le pipeline : True" in printed
    assert f"Sensibilité (recall_score) : {recall:.3f}" in printed
    assert "Alias champion : version 1, mêmes prédictions : True" in printed
    assert printed[-1] == "Dernière version : 1 ; champion : 1"


# The shell command: an old file store, copied into SQLite.


def migrate(folder, **options):
    return subprocess.run(
        ["bash", "-c", section("migration.sh:migrate_filestore")],
        cwd=folder, env=learner_environment(), capture_output=True, text=True, timeout=300,
        check=False, **options,
    )  # fmt: skip


@pytest.mark.slow  # the command, twice
def test_migrate_filestore_copies_the_old_runs_into_sqlite(tmp_path, monkeypatch):
    # An old file store, as MLflow 2 left it (MLflow 3 writes one only when allowed to).
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    with tracking_uri((tmp_path / "mlruns").as_uri()):
        mlflow.set_experiment("ancien-projet")
        with mlflow.start_run(run_name="ancien-run") as old_run:
            mlflow.log_param("C", 1.0)
            mlflow.log_metric("accuracy", 0.95)
            mlflow.log_text("note", "note.txt")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    run_id = old_run.info.run_id

    result = migrate(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    client = store_client(tmp_path)
    run = client.get_run(run_id)
    assert run.info.run_name == "ancien-run"
    assert run.data.params == {"C": "1.0"} and run.data.metrics == {"accuracy": 0.95}
    # The artifacts stay in mlruns/, where the copied run points.
    assert run.info.artifact_uri.startswith((tmp_path / "mlruns").as_uri())
    with tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}"):
        assert mlflow.artifacts.load_text(f"{run.info.artifact_uri}/note.txt") == "note"
    # mlruns/ still holds runs: without a tracking URI, MLflow takes it again.
    with tracking_uri(None):
        assert mlflow.get_tracking_uri() == (tmp_path / "mlruns").as_uri()
    # Run again, the command asks before overwriting mlflow.db; "N" keeps it.
    again = migrate(tmp_path, input="N\n")
    assert again.returncode != 0 and "Overwrite? [y/N]" in again.stdout
    assert store_client(tmp_path).get_run(run_id).data.params == {"C": "1.0"}
