"""« Exercices »: each solution records what its exercise asks, checked against scikit-learn's
numbers computed here; the last one against a real tracking server."""

import pytest
from helpers import (
    MALIGNANT,
    ROOT,
    assert_metrics_equal,
    checked,
    reference_metrics,
    reference_pipeline,
    reference_run_metrics,
    run_as_a_learner,
    snapshot,
    tracking_uri,
)
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from snippets import exercises
from snippets.first_run import EXPERIMENT_NAME
from snippets.registry import REGISTERED_MODEL
from tooling.sections import python_blocks


def runs_by_name(client):
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    return experiment, {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}


def check_solutions(local, server, split, printed):
    _, X_test, _, y_test = split
    reference = reference_pipeline(split, 1.0, "scale")
    experiment, runs = runs_by_name(local)
    assert {r.info.status for r in runs.values()} == {"FINISHED"}

    f1 = runs["exercice-f1"].data.metrics
    assert f1.pop("f1") == pytest.approx(f1_score(y_test, reference.predict(X_test), pos_label=0))
    assert_metrics_equal(f1, reference_metrics(y_test, reference.predict(X_test)))

    roc = runs["exercice-roc"]
    auc = roc_auc_score(y_test == MALIGNANT, -reference.decision_function(X_test))
    assert roc.data.metrics["roc_auc"] == pytest.approx(auc)
    assert [a.path for a in local.list_artifacts(roc.info.run_id)] == ["roc_curve.png"]
    assert "Artefacts : ['roc_curve.png']" in printed

    for kernel in ["rbf", "linear"]:
        run = runs[kernel]
        assert run.data.tags["exercice"] == "noyaux" and run.data.params["kernel"] == kernel
        assert_metrics_equal(run.data.metrics, reference_run_metrics(split, 1.0, "scale", kernel))

    # The constrained choice, made again here over what MLflow recorded.
    eligible = [r for r in runs.values() if r.data.metrics.get("specificity", 0) >= 0.95]
    best = max(
        eligible, key=lambda r: (r.data.metrics["sensitivity"], r.data.metrics["specificity"])
    )
    assert f"Run {best.info.run_name} : sensibilité" in printed

    models = local.search_logged_models(
        [experiment.experiment_id], order_by=[{"field_name": "creation_time", "ascending": False}]
    )
    serve = f'mlflow models serve -m "models:/{models[0].model_id}" --port 5001'
    assert f"{serve} --env-manager local" in printed
    assert "sur-serveur" not in runs

    check_families_and_promotion(local, split, printed)

    _, on_server = runs_by_name(server)
    assert_metrics_equal(
        on_server["sur-serveur"].data.metrics, reference_run_metrics(split, 1.0, "scale")
    )


def check_families_and_promotion(local, split, printed):
    """Exercises 7 and 8: each family refitted here, its evaluation read back, the gate's rule
    applied here (sensitivity at least 0.95, no worse than the course's SVM in sensitivity and
    accuracy), and the champion alias where that rule puts it."""
    X_train, X_test, y_train, y_test = split
    malignant = y_test == MALIGNANT
    families = {
        "svm-du-cours": reference_pipeline(split, 1.0, "scale"),
        "regression-logistique": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ).fit(X_train, y_train),
        "plus-proches-voisins": make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(
            X_train, y_train
        ),
    }
    scores = {}
    for name, model in families.items():
        predicted = model.predict(X_test)
        scores[name] = (
            recall_score(y_test, predicted, pos_label=MALIGNANT),
            accuracy_score(y_test, predicted),
        )
    experiment = local.get_experiment_by_name("exercice-familles")
    runs = {r.info.run_name: r for r in local.search_runs([experiment.experiment_id])}
    for name, (sensitivity, accuracy) in scores.items():
        recorded = runs[f"evaluation-{name}"].data.metrics
        assert recorded["recall_score"] == pytest.approx(sensitivity)
        assert recorded["accuracy_score"] == pytest.approx(accuracy)
        assert recorded["true_positives"] + recorded["false_negatives"] == malignant.sum()
    champion_scores = scores["svm-du-cours"]

    def passes(name):
        sensitivity, accuracy = scores[name]
        return (
            sensitivity >= 0.95
            and sensitivity >= champion_scores[0]
            and (accuracy >= champion_scores[1])
        )

    for name in ["regression-logistique", "plus-proches-voisins"]:
        verdict = "acceptée" if passes(name) else "refusée"
        sensitivity, accuracy = scores[name]
        assert f"{name} : sensibilité {sensitivity:.3f}, exactitude {accuracy:.3f}, {verdict}" in (
            printed
        )
    # Exercise 8: the versions in the order registered, the champion where the gate put it.
    versions = sorted(
        local.search_model_versions(f"name = '{REGISTERED_MODEL}'"), key=lambda v: int(v.version)
    )
    names = ["svm-du-cours", "plus-proches-voisins", "regression-logistique"]
    assert [local.get_run(v.run_id).info.run_name for v in versions] == names
    assert scores["svm-du-cours"][0] >= 0.95 and versions[0].tags["quality_gate"] == "passed"
    champion = versions[0].version
    for version, name in zip(versions[1:], names[1:], strict=True):
        sensitivity, accuracy = scores[name]
        held = scores[names[int(champion) - 1]]  # the champion when this version challenges
        passed = sensitivity >= 0.95 and sensitivity >= held[0] and accuracy >= held[1]
        assert version.tags["quality_gate"] == ("passed" if passed else "failed")
        champion = version.version if passed else champion
    assert local.get_model_version_by_alias(REGISTERED_MODEL, "champion").version == champion
    assert f"models:/{REGISTERED_MODEL}@champion : version {champion}," in printed


def test_the_solutions_record_what_the_exercises_ask(
    workdir, split, databricks_server, monkeypatch, capsys
):
    monkeypatch.setattr(exercises, "SERVER_URI", databricks_server)
    exercises.main()
    printed = capsys.readouterr().out
    local = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    check_solutions(local, MlflowClient(databricks_server), split, printed)


def test_the_page_runs_alone_in_an_empty_folder(tmp_path, split, databricks_server):
    code = "\n\n".join(python_blocks(ROOT / "docs" / "exercises.md"))
    # The learner's server listens on port 5000; the test's on a free port.
    assert code.count('"http://127.0.0.1:5000"') == 1
    code = code.replace('"http://127.0.0.1:5000"', f'"{databricks_server}"')
    result = run_as_a_learner(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    local = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}"):
        check_solutions(local, MlflowClient(databricks_server), split, result.stdout)
    # « Vérifiez votre travail » on the solutions: every exercise done, nothing written.
    before = snapshot(tmp_path)
    code, items = checked(f"sqlite:///{tmp_path / 'mlflow.db'}", "exercises")
    done = {"exercice-1", "exercice-2", "exercice-3", "exercice-7", "exercice-8"}
    assert {key for _, key in items} == done  # 4 and 5 write nothing; 6 is on the server
    assert {item["status"] for item in items.values()} == {"fait"}, items
    assert code == 0 and snapshot(tmp_path) == before
    server = MlflowClient(databricks_server)

    def on_server():
        found = server.search_experiments()
        runs = server.search_runs([e.experiment_id for e in found], max_results=5000)
        return sorted((r.info.run_id, r.info.status, r.info.end_time) for r in runs)

    runs = on_server()
    _, items = checked(databricks_server, "exercises")
    assert items[("exercises", "exercice-6")]["status"] == "fait"
    assert on_server() == runs
