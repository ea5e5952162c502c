"""Les vérifications de la page « Quand une machine ne suffit plus »."""

from snippets.verifier.items import DONE, check, page_value, review, run_hint, todo
from snippets.verifier.oracle import close, run_params

spark_experiment = page_value("spark_study", "SPARK_EXPERIMENT")


@check(
    "spark-study",
    "etude-spark",
    "L'étude lancée par Spark",
    experiment=spark_experiment,
)
def spark_study(store, course):
    from snippets.spark_study import N_TRIALS, STUDY_NAME

    experiment = spark_experiment()
    study = store.named(experiment, STUDY_NAME, finished=False)  # reprise : RUNNING
    if study is None:
        return todo(
            f"aucune étude « {STUDY_NAME} » dans « {experiment} ».",
            run_hint("Quand une machine ne suffit plus", "spark_study"),
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
