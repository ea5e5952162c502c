"""« Autologging »: what mlflow.sklearn.autolog recorded for the SVM and for the grid search,
read back and compared with scikit-learn's own numbers computed here, and autologging off after."""

from pathlib import Path

import mlflow
import pandas as pd
import yaml
from helpers import (
    MALIGNANT,
    generated_step,
    reference_pipeline,
    store_client,
    tracking_uri,
)
from sklearn.metrics import accuracy_score, make_scorer, recall_score
from sklearn.model_selection import GridSearchCV

from snippets import autolog
from tooling.sections import section


def check_experiment(client, split):
    X_train, X_test, y_train, y_test = split
    experiment = client.get_experiment_by_name(autolog.AUTOLOG_EXPERIMENT)
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    svm = runs["svm-autolog"]
    reference = reference_pipeline(split, 1.0, "scale")
    assert len(svm.data.params) == 24 and svm.data.params["svc__C"] == "1.0"
    expected_recall = recall_score(y_train, reference.predict(X_train), pos_label=MALIGNANT)
    assert svm.data.metrics["training_recall_score"] == expected_recall
    test_accuracy = accuracy_score(y_test, reference.predict(X_test))
    assert svm.data.metrics["Pipeline_score_X_test"] == test_accuracy
    artifacts = {a.path for a in client.list_artifacts(svm.info.run_id)}
    assert {
        "training_confusion_matrix.png",
        "training_roc_curve.png",
        "estimator.html",
    } <= artifacts
    assert svm.inputs.dataset_inputs  # the training data, described by its digest
    [model] = client.search_logged_models([experiment.experiment_id])
    assert model.source_run_id == svm.info.run_id
    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{model.model_id}"))
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    loaded = mlflow.pyfunc.load_model(f"models:/{model.model_id}")
    assert (loaded.predict(X_test) == reference.predict(X_test)).all()

    parent = runs["grille-autolog"]
    children = [
        r for r in runs.values() if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id
    ]
    search = GridSearchCV(
        reference_pipeline(split, 1.0, "scale"),
        autolog.PARAM_GRID,
        scoring=make_scorer(recall_score, pos_label=MALIGNANT),
        cv=5,
    ).fit(X_train, y_train)
    results = pd.DataFrame(search.cv_results_).sort_values("rank_test_score", kind="stable")
    assert parent.data.params["best_svc__C"] == str(search.best_params_["svc__C"])
    assert parent.data.params["best_svc__gamma"] == str(search.best_params_["svc__gamma"])
    assert parent.data.metrics["best_cv_score"] == search.best_score_
    assert len(children) == 5
    shown = sorted(child.data.metrics["mean_test_score"] for child in children)
    assert shown == sorted(results["mean_test_score"].head(5))
    assert len(runs) == 7  # the SVM, the parent and its 5 children: nothing else


def test_autologging_is_off_after_the_page(workdir, split):
    mlflow.set_experiment("autologging-puis-manuel")
    mlflow.sklearn.autolog(pos_label=MALIGNANT, log_models=False)
    exec(section("autolog.py:disable"), {"mlflow": mlflow})  # the page's last block
    reference_pipeline(split, 1.0, "scale")
    assert mlflow.search_runs().empty and mlflow.active_run() is None


def test_the_page_autologs_the_svm_and_the_grid_search(site, split):
    # The build ran the page's blocks in an empty folder (tooling.generate).
    step = generated_step("autolog")
    assert "Encountered unexpected error" not in (step / "step.log").read_text()
    printed = (step / "output_autolog.txt").read_text()
    assert "24 paramètres, par exemple svc__C = 1.0" in printed
    assert "5 runs enfants sous le run parent" in printed
    with tracking_uri(f"sqlite:///{step / 'cours-mlflow' / 'mlflow.db'}"):
        check_experiment(store_client(step / "cours-mlflow"), split)
