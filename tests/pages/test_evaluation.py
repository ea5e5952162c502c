"""« Évaluer le modèle choisi »: mlflow.models.evaluate records, with malignant (0) as the
positive class, the four cells, the threshold metrics and the probability metrics of an SVM
refitted here with scikit-learn; they give back the course's seven metrics; its figures are in
the run; the quality gate accepts and refuses exactly the candidates that the rule, computed
here, accepts and refuses. The page's blocks are pasted alone into one fresh session in an
empty folder, and the site shows the figures of the run that the build made."""

import mlflow
import numpy as np
import pytest
from helpers import (
    MALIGNANT,
    ROOT,
    assert_metrics_equal,
    generated_step,
    parse_params,
    pasted_page,
    private_store,
    reference_metrics,
    store_client,
)
from mlflow.models.evaluation.validation import ModelValidationFailedException
from PIL import Image
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from snippets import evaluation
from snippets.first_run import build_model

FIGURES = [
    "calibration_curve_plot.png",
    "confusion_matrix.png",
    "lift_curve_plot.png",
    "precision_recall_curve_plot.png",
    "roc_curve_plot.png",
]
FLOOR = 0.95  # the page's sensitivity floor, written out again
COURSE_SVM = {"C": 1.0, "gamma": "scale", "kernel": "rbf"}
WEAK_SVM = {"C": 0.1, "gamma": 0.01, "kernel": "rbf"}


def refit(split, params):
    """The course's pipeline with probabilities, fitted here with scikit-learn."""
    X_train, _, y_train, _ = split
    svc = SVC(**params, probability=True, random_state=42)
    return make_pipeline(StandardScaler(), svc).fit(X_train, y_train)


def expected_evaluation(split, params):
    """What mlflow.models.evaluate should record, computed with scikit-learn."""
    _, X_test, _, y_test = split
    model = refit(split, params)
    predicted = model.predict(X_test)
    probabilities = model.predict_proba(X_test)
    malignant = probabilities[:, list(model.classes_).index(MALIGNANT)]
    positive = y_test == MALIGNANT
    # labels=[negative, positive]: ravel() gives tn, fp, fn, tp.
    tn, fp, fn, tp = confusion_matrix(y_test, predicted, labels=[1, MALIGNANT]).ravel()
    accuracy = accuracy_score(y_test, predicted)
    return {
        "true_negatives": tn,
        "false_positives": fp,
        "false_negatives": fn,
        "true_positives": tp,
        "example_count": len(y_test),
        "accuracy_score": accuracy,
        "recall_score": recall_score(y_test, predicted, pos_label=MALIGNANT),
        "precision_score": precision_score(y_test, predicted, pos_label=MALIGNANT),
        "f1_score": f1_score(y_test, predicted, pos_label=MALIGNANT),
        "roc_auc": roc_auc_score(positive, malignant),
        "precision_recall_auc": average_precision_score(positive, malignant),
        "log_loss": log_loss(y_test, probabilities),
        "score": accuracy,
    }


def check_evaluation_run(client, run, split, params):
    """An evaluation run: its metrics, the course's seven from them, its figures, its data."""
    _, X_test, _, y_test = split
    expected = expected_evaluation(split, params)
    assert_metrics_equal(run.data.metrics, expected)
    metrics = run.data.metrics
    assert metrics["true_positives"] + metrics["false_negatives"] == (y_test == 0).sum()
    assert metrics["true_negatives"] + metrics["false_positives"] == (y_test == 1).sum()
    predicted = refit(split, params).predict(X_test)
    assert_metrics_equal(evaluation.seven_metrics(metrics), reference_metrics(y_test, predicted))
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == FIGURES
    [dataset_input] = run.inputs.dataset_inputs
    test_data = mlflow.data.from_pandas(X_test.assign(target=y_test), targets="target")
    assert dataset_input.dataset.name == "tumeurs-test"
    assert dataset_input.dataset.digest == test_data.digest
    # The metrics also belong to the evaluated Logged Model, with the dataset's name.
    [model_input] = run.inputs.model_inputs
    model = client.get_logged_model(model_input.model_id)
    recall = [m for m in model.metrics if m.key == "recall_score"]
    assert {m.dataset_name for m in recall} == {"tumeurs-test"}
    assert {m.value for m in recall} == {expected["recall_score"]}
    assert len(recall) == 2  # logged twice for the model, as the page says
    return model


def log_and_evaluate(params, split, name):
    """One candidate, logged then evaluated by the page's functions; returns its result."""
    X_train, X_test, y_train, y_test = split
    model_info = evaluation.log_candidate(params, X_train, y_train, name)
    _, test_dataset = evaluation.to_datasets(*split)
    return evaluation.evaluate_model(model_info.model_uri, test_dataset, f"evaluation-{name}")


def scores(split, params):
    """Sensitivity (recall of the malignant class) and accuracy of a refit, on the test part."""
    _, X_test, _, y_test = split
    predicted = refit(split, params).predict(X_test)
    return recall_score(y_test, predicted, pos_label=0), accuracy_score(y_test, predicted)


def gate_should_pass(split, candidate, champion=None):
    """The page's rule, computed here: the floor, then no worse than the champion."""
    recall, accuracy = scores(split, candidate)
    if champion is None:
        return recall >= FLOOR
    champion_recall, champion_accuracy = scores(split, champion)
    return recall >= FLOOR and recall >= champion_recall and accuracy >= champion_accuracy


def expected_refusal(split, candidate, champion):
    """MLflow's refusal message for the page's gate, one line per failed metric, rebuilt
    from the values computed here (None if the candidate passes)."""
    (recall, accuracy), (best_recall, best_accuracy) = (
        scores(split, candidate),
        scores(split, champion),
    )
    recall_checks = []
    if recall < FLOOR:
        recall_checks.append(
            "Metric recall_score value threshold check failed: candidate model recall_score = "
            f"{recall}, recall_score threshold = {FLOOR}."
        )
    if recall < best_recall:
        recall_checks.append(
            "Metric recall_score minimum relative change check failed: candidate model "
            f"recall_score = {recall}, baseline model recall_score = {best_recall}, "
            "recall_score minimum relative change threshold = 0.0."
        )
    lines = [" ".join(recall_checks)] if recall_checks else []
    if accuracy < best_accuracy:
        lines.append(
            "Metric accuracy_score minimum relative change check failed: candidate model "
            f"accuracy_score = {accuracy}, baseline model accuracy_score = {best_accuracy}, "
            "accuracy_score minimum relative change threshold = 0.0."
        )
    return lines or None


# The gate's candidates: the course's SVM (the champion), a weak one, one that ties it on
# both metrics, one that beats it.
CANDIDATES = {
    "course": COURSE_SVM,
    "weak": WEAK_SVM,
    "equal": {"C": 10.0, "gamma": 0.01, "kernel": "rbf"},
    "better": {"C": 100.0, "gamma": 0.001, "kernel": "rbf"},
}


@pytest.fixture(scope="module")
def candidates(tmp_path_factory, split):
    """The candidates, logged and evaluated once by the page's functions in a private store:
    the store's folder and {name: evaluation result}."""
    folder = tmp_path_factory.mktemp("candidates")
    with private_store(folder):
        evaluation.setup_tracking(experiment_name="porte")
        results = {name: log_and_evaluate(p, split, name) for name, p in CANDIDATES.items()}
    return folder, results


@pytest.mark.slow  # four candidates logged and evaluated by MLflow
def test_evaluate_records_what_scikit_learn_computes(candidates, split):
    folder, results = candidates
    client = store_client(folder)
    for name, params in CANDIDATES.items():
        run = client.get_run(results[name].run_id)
        assert run.info.run_name == f"evaluation-{name}"
        check_evaluation_run(client, run, split, params)
        assert results[name].metrics == pytest.approx(run.data.metrics, abs=1e-12)


def test_without_probabilities_only_the_confusion_matrix(workdir, split):
    # The course's plain SVC, without probability=True: no predict_proba, so no curves.
    evaluation.setup_tracking(experiment_name="evaluation")
    X_train, _, y_train, _ = split
    with mlflow.start_run():
        model = build_model().fit(X_train, y_train)
        model_info = mlflow.sklearn.log_model(model, name="model", pip_requirements=[])
    _, test_dataset = evaluation.to_datasets(*split)
    result = evaluation.evaluate_model(model_info.model_uri, test_dataset, "sans-probas")
    client = store_client(workdir)
    assert [a.path for a in client.list_artifacts(result.run_id)] == ["confusion_matrix.png"]
    assert "roc_auc" not in result.metrics and "recall_score" in result.metrics


@pytest.mark.slow  # four candidates logged and evaluated by MLflow
def test_the_gate_accepts_and_refuses_as_the_rule_computed_here(candidates, split):
    _, results = candidates
    verdicts = {"course": evaluation.quality_gate(results["course"]) is None}
    expected = {"course": gate_should_pass(split, COURSE_SVM)}
    for name, params in CANDIDATES.items():
        failure = evaluation.quality_gate(results[name], results["course"])
        verdicts[name] = failure is None
        expected[name] = gate_should_pass(split, params, COURSE_SVM)
        refusal = expected_refusal(split, params, COURSE_SVM)
        assert (failure.splitlines() if failure else None) == refusal, name
    assert verdicts == expected
    # Both outcomes are exercised, a tie on both metrics included.
    assert expected == {"course": True, "weak": False, "equal": True, "better": True}
    assert scores(split, CANDIDATES["equal"]) == scores(split, COURSE_SVM)


@pytest.mark.slow  # four candidates logged and evaluated by MLflow
def test_the_refusal_is_mlflows_exception(candidates, split):
    _, results = candidates
    thresholds = evaluation.gate_thresholds()
    with pytest.raises(ModelValidationFailedException) as raised:
        mlflow.validate_evaluation_results(thresholds, results["weak"], results["course"])
    assert raised.value.message.splitlines() == expected_refusal(split, WEAK_SVM, COURSE_SVM)
    assert len(raised.value.message.splitlines()) == 2  # sensitivity, then accuracy
    # The thresholds against a champion cannot run without one, as the page says.
    with pytest.raises(TypeError):
        mlflow.validate_evaluation_results(thresholds, results["course"], None)


def page_runs(client):
    experiment = client.get_experiment_by_name(evaluation.EVALUATION_EXPERIMENT)
    found = client.search_runs([experiment.experiment_id], max_results=200)
    # get_run, not search_runs: only get_run gives a run's model inputs.
    runs = [client.get_run(run.info.run_id) for run in found]
    return {run.info.run_name: run for run in runs if not run.info.run_name.startswith("essai")}


def chosen_params(client, runs):
    """The chosen setting: the params of the run that produced the evaluated model."""
    model = client.get_logged_model(
        runs["evaluation-modele-choisi"].inputs.model_inputs[0].model_id
    )
    assert model.source_run_id == runs["etude-optuna"].info.run_id
    return parse_params(runs["etude-optuna"].data.params)


def check_page_store(folder, split):
    client = store_client(folder)
    runs = page_runs(client)
    assert set(runs) == {
        "etude-optuna",
        "svm-du-cours",
        "svm-trop-regularise",
        "evaluation-modele-choisi",
        "evaluation-svm-du-cours",
        "evaluation-svm-trop-regularise",
    }
    assert {run.info.status for run in runs.values()} == {"FINISHED"}
    params = {
        "evaluation-modele-choisi": chosen_params(client, runs),
        "evaluation-svm-du-cours": parse_params(runs["svm-du-cours"].data.params),
        "evaluation-svm-trop-regularise": parse_params(runs["svm-trop-regularise"].data.params),
    }
    assert params["evaluation-svm-du-cours"] == COURSE_SVM
    assert params["evaluation-svm-trop-regularise"] == WEAK_SVM
    for name, setting in params.items():
        check_evaluation_run(client, runs[name], split, setting)
    return client, runs, params["evaluation-modele-choisi"]


def expected_output(client, runs, split, chosen):
    """The page's printout, rebuilt from scikit-learn's values and the store's identifiers;
    MLflow's refusal messages unwrapped (one line each)."""
    _, X_test, _, y_test = split
    run = runs["evaluation-modele-choisi"]
    model_id = run.inputs.model_inputs[0].model_id
    metrics = expected_evaluation(split, chosen)
    lines = [f"Modèle choisi : models:/{model_id}, évalué dans le run {run.info.run_id}"]
    lines += [f"  {name:<21} {value:.4g}" for name, value in sorted(metrics.items())]
    seven = reference_metrics(y_test, refit(split, chosen).predict(X_test))
    lines.append(f"{'':<12} {'cours':>7} {'evaluate':>9}")
    lines += [f"{name:<12} {value:>7.4f} {value:>9.4f}" for name, value in seven.items()]
    lines.append(f"Artefacts de l'évaluation : {FIGURES}")
    lines.append(f"{'':<20} {'recall_score':>12} {'accuracy_score':>14}")
    candidates = {"modèle choisi": chosen, "SVM du cours": COURSE_SVM}
    candidates["SVM trop régularisé"] = WEAK_SVM
    for label, params in candidates.items():
        recall, accuracy = scores(split, params)
        lines.append(f"{label:<20} {recall:>12.4f} {accuracy:>14.4f}")
    verdict = {True: "accepté", False: "refusé"}
    floor = gate_should_pass(split, COURSE_SVM)
    lines.append(f"SVM du cours, face au plancher : {verdict[floor]}")
    for label in ["modèle choisi", "SVM trop régularisé"]:
        refusal = expected_refusal(split, candidates[label], COURSE_SVM)
        lines.append(f"{label}, face au SVM du cours : {verdict[refusal is None]}")
        lines += [f"  {line}" for line in refusal or []]
    return lines


def check_output(printed, client, runs, split, chosen):
    # MLflow's messages are wrapped at 88 characters, continued with four spaces.
    unwrapped, in_message = [], False
    for line in printed:
        if in_message and line.startswith("    "):
            assert len(line) <= 88
            unwrapped[-1] += " " + line.strip()
            continue
        in_message = line.startswith("  Metric ")
        unwrapped.append(line)
    assert unwrapped == expected_output(client, runs, split, chosen)


@pytest.mark.slow  # the page runs the Optuna study again
def test_the_page_evaluates_three_models_as_scikit_learn_does(page, split):
    folder, printed = page
    client, runs, chosen = check_page_store(folder, split)
    check_output(printed, client, runs, split, chosen)


@pytest.mark.slow
def test_what_the_page_says_of_the_three_candidates(page, split):
    # « Le modèle choisi détecte autant de tumeurs malignes que lui et se trompe moins souvent
    # sur les tumeurs bénignes » ; the weak SVM « manque 8 tumeurs malignes sur 53 ».
    folder, _ = page
    client = store_client(folder)
    chosen = chosen_params(client, page_runs(client))
    _, X_test, _, y_test = split
    cells = {}
    for name, params in [("chosen", chosen), ("course", COURSE_SVM), ("weak", WEAK_SVM)]:
        predicted = refit(split, params).predict(X_test)
        cells[name] = confusion_matrix(y_test, predicted, labels=[1, 0]).ravel()
    tn, fp, fn, tp = cells["chosen"]
    course_tn, course_fp, course_fn, course_tp = cells["course"]
    assert tp == course_tp and fp < course_fp
    assert gate_should_pass(split, chosen, COURSE_SVM)
    assert (cells["weak"][2], (y_test == 0).sum()) == (8, 53)
    # « au plus deux tumeurs malignes manquées sur les 53 » : the floor, in tumours.
    assert 51 / 53 >= FLOOR > 50 / 53
    page_text = " ".join((ROOT / "docs" / "evaluation.md").read_text().split())
    assert "manque 8 tumeurs malignes sur 53" in page_text


def test_the_site_shows_the_figures_of_the_evaluation_run(site, split, tmp_path):
    step = generated_step("further")
    client, runs, chosen = check_page_store(step / "cours-mlflow", split)
    printed = (step / "further_evaluation.txt").read_text().splitlines()
    check_output(printed, client, runs, split, chosen)
    run_id = runs["evaluation-modele-choisi"].info.run_id
    shown = {
        "confusion_matrix.png": "further_evaluation_matrice_confusion.png",
        "roc_curve_plot.png": "further_evaluation_courbe_roc.png",
        "precision_recall_curve_plot.png": "further_evaluation_courbe_precision_rappel.png",
    }
    for artifact, name in shown.items():
        local = client.download_artifacts(run_id, artifact, str(tmp_path))
        with Image.open(step / name) as figure, Image.open(local) as recorded:
            assert figure.format == "PNG"
            assert np.array_equal(np.asarray(figure), np.asarray(recorded)), name


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page pasted alone in an empty folder: the folder and what it printed."""
    return pasted_page(tmp_path_factory, "evaluation.md")
