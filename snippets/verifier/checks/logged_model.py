"""Les vérifications de la page « Le modèle MLflow »."""

from snippets.verifier.items import DONE, Page, check_model, review, todo
from snippets.verifier.oracle import run_params

PAGE = Page("logged-model", "Le modèle MLflow")


@PAGE.check("modele", "Un modèle MLflow qui se charge et prédit")
def logged_model(store, course):
    models = store.logged_models(store.course_experiment)
    if not models:
        return todo(
            f"aucun modèle enregistré dans « {store.course_experiment} ».",
            PAGE.hint,
        )
    model = models[0]
    if not model.source_run_id:
        return review(
            f"le modèle {model.model_id} n'est relié à aucun run.",
            "Enregistrez-le dans un bloc with mlflow.start_run().",
        )
    run = store.client.get_run(model.source_run_id)
    reference = course.svm(**run_params(run))
    problem = check_model(
        store,
        course,
        f"models:/{model.model_id}",
        reference,
        "Le modèle le plus récent",
    )
    if problem:
        return problem
    return DONE, f"models:/{model.model_id} prédit comme le SVM réentraîné.", ""
