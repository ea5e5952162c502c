"""« Exercices »: each solution records what its exercise asks, checked against scikit-learn's
numbers computed here; the last one against a real tracking server."""

import pytest
from helpers import (
    MALIGNANT,
    ROOT,
    assert_metrics_equal,
    reference_metrics,
    reference_pipeline,
    reference_run_metrics,
    run_as_a_learner,
    tracking_uri,
)
from mlflow import MlflowClient
from sklearn.metrics import f1_score, roc_auc_score

from snippets import exercises
from snippets.first_run import EXPERIMENT_NAME
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

    _, on_server = runs_by_name(server)
    assert_metrics_equal(
        on_server["sur-serveur"].data.metrics, reference_run_metrics(split, 1.0, "scale")
    )


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
