"""Page « Évaluer le modèle choisi » : mlflow.models.evaluate sur le jeu de test, ses
métriques face aux sept du cours, ses figures, puis une porte de qualité
(MetricThreshold).

En ligne de commande : python -m snippets.evaluation
"""

# --8<-- [start:imports]
import textwrap

import mlflow
from mlflow.models import MetricThreshold
from mlflow.models.evaluation.validation import ModelValidationFailedException

# --8<-- [end:imports]
from snippets.data import MALIGNANT, load_data
from snippets.datasets import to_datasets
from snippets.first_run import setup_tracking
from snippets.metrics import ratio
from snippets.sweep import REQUIREMENTS
from snippets.tuning import final_model, run_study, train_final

# --8<-- [start:evaluate]
EVALUATION_EXPERIMENT = "evaluation-svm"


def evaluate_model(model_uri, test_dataset, run_name):
    """Évalue un modèle MLflow sur le jeu de test, dans un nouveau run."""
    with mlflow.start_run(run_name=run_name):
        return mlflow.models.evaluate(
            model_uri,
            test_dataset,  # les tumeurs de test, avec leur cible
            model_type="classifier",
            evaluator_config={
                "pos_label": MALIGNANT,  # sinon, la classe positive serait 1 (bénigne)
                "log_model_explainability": False,  # pas d'explications SHAP
            },
        )


# --8<-- [end:evaluate]


# --8<-- [start:seven]
def seven_metrics(metrics):
    """Les sept métriques du cours, retrouvées dans celles de mlflow.models.evaluate."""
    tn, fp = metrics["true_negatives"], metrics["false_positives"]
    fn, tp = metrics["false_negatives"], metrics["true_positives"]
    return {
        "accuracy": metrics["accuracy_score"],
        "sensitivity": metrics["recall_score"],  # le rappel de la classe positive
        "specificity": ratio(tn, tn + fp),
        "precision": metrics["precision_score"],
        "npv": ratio(tn, tn + fn),
        "fall_out": ratio(fp, fp + tn),
        "fdr": ratio(fp, fp + tp),
    }


# --8<-- [end:seven]


# --8<-- [start:candidate]
DEFAULT_PARAMS = {
    "C": 1.0,
    "gamma": "scale",
    "kernel": "rbf",
}  # le SVM des premières pages
WEAK_PARAMS = {"C": 0.1, "gamma": 0.01, "kernel": "rbf"}  # un réglage du balayage


def log_candidate(params, X_train, y_train, run_name):
    """Entraîne le pipeline du cours avec params et l'enregistre comme modèle MLflow,
    dans un nouveau run ; renvoie son ModelInfo."""
    with mlflow.start_run(run_name=run_name):
        mlflow.log_params(params)
        model = final_model(params).fit(X_train, y_train)
        return mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=X_train.head(5),
            pip_requirements=REQUIREMENTS,
        )


# --8<-- [end:candidate]


# --8<-- [start:gate]
SENSITIVITY_FLOOR = 0.95  # au moins 95 % des tumeurs malignes détectées


def gate_thresholds(with_champion=True):
    """Les seuils de la porte de qualité, par nom de métrique de MLflow."""
    if not with_champion:  # aucun modèle en place : le plancher seul
        return {
            "recall_score": MetricThreshold(
                threshold=SENSITIVITY_FLOOR, greater_is_better=True
            )
        }
    # Un écart relatif minimal de 0 : le candidat doit au moins égaler le champion.
    no_worse = {"min_relative_change": 0.0, "greater_is_better": True}
    return {
        "recall_score": MetricThreshold(threshold=SENSITIVITY_FLOOR, **no_worse),
        "accuracy_score": MetricThreshold(**no_worse),
    }


def quality_gate(candidate, champion=None):
    """Le message d'échec de la porte de qualité, ou None si le candidat la franchit.

    candidate et champion sont des résultats de mlflow.models.evaluate."""
    thresholds = gate_thresholds(with_champion=champion is not None)
    try:
        mlflow.validate_evaluation_results(thresholds, candidate, champion)
    except ModelValidationFailedException as failure:
        return failure.message
    return None


# --8<-- [end:gate]


def main():
    # --8<-- [start:run]
    setup_tracking(experiment_name=EVALUATION_EXPERIMENT)
    data = load_data()
    X_train, X_test, y_train, y_test = data
    study, parent_run_id = run_study(X_train, y_train)
    run_id, chosen = train_final(study.best_params, parent_run_id, data)

    # Le jeu « tumeurs-test » de la page « Les données dans le run ».
    _, test_dataset = to_datasets(*data)
    result = evaluate_model(chosen.model_uri, test_dataset, "evaluation-modele-choisi")
    print(f"Modèle choisi : {chosen.model_uri}, évalué dans le run {result.run_id}")
    for name, value in sorted(result.metrics.items()):
        print(f"  {name:<21} {value:.4g}")
    # --8<-- [end:run]

    # --8<-- [start:compare]
    course = mlflow.get_run(run_id).data.metrics  # les sept métriques de train_final
    print(f"{'':<12} {'cours':>7} {'evaluate':>9}")
    for name, value in seven_metrics(result.metrics).items():
        print(f"{name:<12} {course[name]:>7.4f} {value:>9.4f}")
    # --8<-- [end:compare]

    # --8<-- [start:artifacts]
    artifacts = mlflow.artifacts.list_artifacts(run_id=result.run_id)
    print("Artefacts de l'évaluation :", [artifact.path for artifact in artifacts])
    # --8<-- [end:artifacts]

    # --8<-- [start:others]
    champion = log_candidate(DEFAULT_PARAMS, X_train, y_train, "svm-du-cours")
    weak = log_candidate(WEAK_PARAMS, X_train, y_train, "svm-trop-regularise")
    results = {
        "modèle choisi": result,
        "SVM du cours": evaluate_model(
            champion.model_uri, test_dataset, "evaluation-svm-du-cours"
        ),
        "SVM trop régularisé": evaluate_model(
            weak.model_uri, test_dataset, "evaluation-svm-trop-regularise"
        ),
    }
    print(f"{'':<20} {'recall_score':>12} {'accuracy_score':>14}")
    for label, evaluation in results.items():
        recall = evaluation.metrics["recall_score"]
        accuracy = evaluation.metrics["accuracy_score"]
        print(f"{label:<20} {recall:>12.4f} {accuracy:>14.4f}")
    # --8<-- [end:others]

    # --8<-- [start:verdicts]
    cases = [  # (candidat, champion)
        ("SVM du cours", None),  # aucun champion encore : le plancher seul
        ("modèle choisi", "SVM du cours"),
        ("SVM trop régularisé", "SVM du cours"),
    ]
    for candidate, champion_label in cases:
        failure = quality_gate(results[candidate], results.get(champion_label))
        against = f"face au {champion_label}" if champion_label else "face au plancher"
        print(f"{candidate}, {against} : {'refusé' if failure else 'accepté'}")
        for line in (failure or "").splitlines():  # une ligne par métrique en échec
            print(
                textwrap.fill(line, 88, initial_indent="  ", subsequent_indent="    ")
            )
    # --8<-- [end:verdicts]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
