"""Les vérifications de la page « Évaluer le modèle choisi »."""

from snippets.verifier.items import DONE, Page, review, todo
from snippets.verifier.oracle import run_params

EVALUATION_COUNTS = {
    "true_positives": 0,
    "false_positives": 1,
    "false_negatives": 2,
    "true_negatives": 3,
}
EVALUATION_FIGURES = [
    "confusion_matrix.png",
    "roc_curve_plot.png",
    "precision_recall_curve_plot.png",
]


PAGE = Page("evaluation", "Évaluer le modèle choisi", "EVALUATION_EXPERIMENT")


def check_evaluation(store, run, expected, figures=EVALUATION_FIGURES):
    """Les comptes d'une évaluation (mlflow.models.evaluate) face à ceux recalculés."""
    metrics = run.data.metrics
    name = run.info.run_name
    if any(key not in metrics for key in EVALUATION_COUNTS):
        return review(
            f"{name} : pas de comptes de la matrice de confusion.",
            'mlflow.models.evaluate(..., model_type="classifier") dans le run.',
        )
    recorded = [metrics[key] for key in EVALUATION_COUNTS]
    tp, fp, fn, tn = expected
    if recorded == [tn, fn, fp, tp]:
        return review(
            f"{name} : {int(recorded[0] + recorded[2])} positifs, la classe bénigne.",
            'evaluator_config={"pos_label": MALIGNANT} : sans lui, mlflow.models.'
            "evaluate prend la classe 1 (bénigne) comme positive.",
        )
    if recorded != list(expected):
        return review(
            f"{name} : comptes {recorded}, {list(expected)} attendus.",
            "Évaluez le modèle du run sur le jeu de test du cours (to_datasets).",
        )
    missing = [figure for figure in figures if figure not in store.artifacts(run)]
    if missing:
        return review(
            f"{name} : artefacts absents : {', '.join(missing)}.",
            "Les courbes ROC et précision-rappel demandent predict_proba : "
            "SVC(probability=True), comme final_model.",
        )
    return None


@PAGE.check("evaluation-modele-choisi", "L'évaluation du modèle choisi")
def evaluation(store, course):
    experiment = PAGE.experiment()
    run = store.named(experiment, "evaluation-modele-choisi")
    parent = store.named(experiment, "etude-optuna")
    if run is None or parent is None:
        return todo(
            f"pas d'évaluation « evaluation-modele-choisi » dans « {experiment} ».",
            PAGE.hint,
        )
    expected = course.test_counts(course.svm(**run_params(parent)))
    problem = check_evaluation(store, run, expected)
    return problem or (DONE, "comptes recalculés, trois figures.", "")


@PAGE.check("trois-candidats", "Trois candidats à la porte de qualité")
def evaluation_candidates(store, course):
    from snippets.evaluation import DEFAULT_PARAMS, WEAK_PARAMS

    experiment = PAGE.experiment()
    for run_name, params in [
        ("evaluation-svm-du-cours", DEFAULT_PARAMS),
        ("evaluation-svm-trop-regularise", WEAK_PARAMS),
    ]:
        run = store.named(experiment, run_name)
        if run is None:
            return todo(
                f"pas d'évaluation « {run_name} » dans « {experiment} ».",
                "Exécutez le bloc « Trois candidats à la porte ».",
            )
        expected = course.test_counts(course.svm(**params))
        problem = check_evaluation(store, run, expected, figures=[])
        if problem:
            return problem
    return DONE, "les deux autres candidats évalués, comptes recalculés.", ""
