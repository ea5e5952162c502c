"""« Autologging »: what mlflow.sklearn.autolog recorded for the SVM and for the grid search,
read back and compared with scikit-learn's own numbers computed here, and autologging off after.
The grid's cross-validated sensitivities are recomputed setting by setting, without GridSearchCV:
two settings tie for the best, and the tie goes to the first in the grid's order."""

from pathlib import Path

import mlflow
import pytest
import yaml
from helpers import (
    MALIGNANT,
    generated_step,
    reference_pipeline,
    store_client,
    tracking_uri,
)
from sklearn.metrics import accuracy_score, make_scorer, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from snippets import autolog
from tooling.sections import section

# The page's grid, written out again. GridSearchCV runs through the parameters sorted by name
# (svc__C before svc__gamma), the last one changing fastest: C by C, each gamma in turn.
C_VALUES = [0.1, 1.0, 10.0, 100.0]
GAMMAS = [0.001, 0.01, 0.1, 1.0]
GRID_ORDER = [(C, gamma) for C in C_VALUES for gamma in GAMMAS]


def cross_validated_sensitivities(split):
    """{(C, gamma): the 5 folds' sensitivities}, in the grid's order, one setting at a time."""
    X_train, _, y_train, _ = split
    scorer = make_scorer(recall_score, pos_label=MALIGNANT)
    return {
        (C, gamma): cross_val_score(
            make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma)),
            X_train,
            y_train,
            scoring=scorer,
            cv=StratifiedKFold(5),
        )
        for C, gamma in GRID_ORDER
    }


def expected_grid(split):
    """Each setting's mean, its rank (ties share the best rank), and the best setting."""
    folds = cross_validated_sensitivities(split)
    means = {setting: scores.mean() for setting, scores in folds.items()}
    ranks = {s: 1 + sum(other > mean for other in means.values()) for s, mean in means.items()}
    tied = [setting for setting in GRID_ORDER if ranks[setting] == 1]
    return folds, means, ranks, tied


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
    assert autolog.PARAM_GRID == {"svc__C": C_VALUES, "svc__gamma": GAMMAS}
    folds, means, ranks, tied = expected_grid(split)
    # The tie the page describes: two settings, the same five folds, 0.944 on average.
    assert len(tied) == 2 and (folds[tied[0]] == folds[tied[1]]).all()
    assert round(means[tied[0]], 3) == 0.944
    # GridSearchCV keeps the first of them in the grid's order.
    best = tied[0]
    assert parent.data.params["best_svc__C"] == str(best[0])
    assert parent.data.params["best_svc__gamma"] == str(best[1])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(means[best], abs=1e-12)
    # The 5 children: the best ranks, ties in the grid's order, each with its rank and mean.
    logged = {
        (float(c.data.params["svc__C"]), float(c.data.params["svc__gamma"])): c.data.metrics
        for c in children
    }
    expected = sorted(GRID_ORDER, key=lambda s: (ranks[s], GRID_ORDER.index(s)))[:5]
    assert len(children) == 5 and set(logged) == set(expected)
    for setting in expected:
        assert logged[setting]["rank_test_score"] == ranks[setting]
        assert logged[setting]["mean_test_score"] == pytest.approx(means[setting], abs=1e-12)
    assert len(runs) == 7  # the SVM, the parent and its 5 children: nothing else
    return expected, best


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
    printed = (step / "autolog.txt").read_text()
    assert "24 paramètres, par exemple svc__C = 1.0" in printed
    assert "5 runs enfants sous le run parent" in printed
    with tracking_uri(f"sqlite:///{step / 'cours-mlflow' / 'mlflow.db'}"):
        children, best = check_experiment(store_client(step / "cours-mlflow"), split)
    # The children's table, sorted by rank then by the grid's order, and the best setting.
    lines = printed.splitlines()
    start = lines.index(" svc__C  svc__gamma  rank_test_score  mean_test_score") + 1
    assert [tuple(map(float, line.split()[:2])) for line in lines[start : start + 5]] == children
    expected_best = {"svc__C": best[0], "svc__gamma": best[1]}
    index = GRID_ORDER.index(best)
    assert lines[start + 5] == f"Meilleur réglage : {expected_best}, best_index_ = {index}"
