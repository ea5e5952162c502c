"""Les vérifications de la page « Quand une machine ne suffit plus »."""

from snippets.verifier.items import DONE, Page, review, todo
from snippets.verifier.oracle import close, run_params

PAGE = Page("spark-study", "Quand une machine ne suffit plus", "SPARK_EXPERIMENT")


@PAGE.check("etude-spark", "L'étude lancée par Spark")
def spark_study(store, course):
    from snippets.spark_study import N_TRIALS, STUDY_NAME

    experiment = PAGE.experiment()
    study = store.named(experiment, STUDY_NAME, finished=False)  # reprise : RUNNING
    if study is None:
        return todo(
            f"aucune étude « {STUDY_NAME} » dans « {experiment} ».",
            PAGE.hint,
        )
    trials = [t for t in store.children(study) if "value" in t.data.metrics]
    if len(trials) < N_TRIALS:
        return review(
            f"{len(trials)} essais terminés, {N_TRIALS} attendus.",
            "Relancez la page : l'étude reprend là où elle s'est arrêtée.",
        )
    best = max(trials, key=lambda trial: trial.data.metrics["value"])
    params = run_params(best)
    score = course.cv_balanced_accuracy(params["C"], params["gamma"])
    if not close(best.data.metrics["value"], score):
        return review(
            f"le meilleur essai vaut {best.data.metrics['value']:.4f}, {score:.4f} "
            "recalculé.",
            "L'objectif de la page « Régler sans tricher » : "
            "make_objective(X_train, y_train).",
        )
    return DONE, f"{len(trials)} essais, meilleur recalculé ({score:.4f}).", ""
