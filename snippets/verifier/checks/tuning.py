"""Les vérifications de la page « Régler sans tricher »."""

from snippets.verifier.items import (
    DONE,
    Page,
    check_model,
    check_seven,
    review,
    todo,
)
from snippets.verifier.oracle import close, run_params

PAGE = Page("tuning", "Régler sans tricher", "TUNING_EXPERIMENT")


@PAGE.check("etude-optuna", "L'étude : un run parent, un run enfant par essai")
def tuning_study(store, course):
    from snippets.tuning import N_TRIALS

    parent = PAGE.run(store, "etude-optuna", finished=True)
    trials = store.children(parent)
    if len(trials) < N_TRIALS:
        return review(
            f"{len(trials)} runs enfants terminés, {N_TRIALS} attendus.",
            "Chaque essai dans mlflow.start_run(nested=True), à l'intérieur du run "
            "parent (with_child_run).",
        )
    for trial in trials:
        recorded = trial.data.metrics.get("cv_balanced_accuracy")
        params = run_params(trial)
        score = course.cv_balanced_accuracy(params["C"], params["gamma"])
        if not close(recorded, score):
            shown = "absente" if recorded is None else f"{recorded:.4f}"
            return review(
                f"{trial.info.run_name} : cv_balanced_accuracy {shown}, {score:.4f} "
                "attendu (5 plis stratifiés, entraînement seul).",
                "La note d'un essai : cross_val_score(..., cv=CV, "
                'scoring="balanced_accuracy").mean(), sur X_train et y_train.',
            )
    best = max(trials, key=lambda trial: trial.data.metrics["cv_balanced_accuracy"])
    best_score = best.data.metrics["cv_balanced_accuracy"]
    if not close(parent.data.metrics.get("cv_balanced_accuracy"), best_score) or (
        run_params(parent)["C"],
        run_params(parent)["gamma"],
    ) != (run_params(best)["C"], run_params(best)["gamma"]):
        return review(
            f"le run parent ne résume pas le meilleur essai ({best.info.run_name}, "
            f"{best_score:.4f}).",
            "Sur le parent : mlflow.log_params(study.best_params) et "
            'mlflow.log_metric("cv_balanced_accuracy", study.best_value).',
        )
    return DONE, f"{len(trials)} essais recalculés, meilleur {best.info.run_name}.", ""


@PAGE.check("modele-final", "Le réglage retenu, mesuré une fois sur le test")
def tuning_final(store, course):
    experiment = PAGE.experiment()
    parent = store.named(experiment, "etude-optuna")
    if parent is None or "accuracy" not in parent.data.metrics:
        return todo(
            f"pas de réglage final dans « {experiment} » (run « etude-optuna »).",
            "Exécutez le bloc « Le réglage retenu » (train_final).",
        )
    reference = course.svm(**run_params(parent))
    problem = check_seven(
        parent.data.metrics, *course.test_counts(reference), "etude-optuna"
    )
    if problem:
        return problem
    models = store.logged_models(experiment, parent)
    if not models:
        return review(
            "le run « etude-optuna » n'a pas de modèle.",
            "train_final(...) enregistre le modèle dans le run parent.",
        )
    problem = check_model(
        store, course, f"models:/{models[0].model_id}", reference, "Le modèle final"
    )
    return problem or (DONE, "métriques de test recalculées, modèle vérifié.", "")
