"""Les vérifications de la page « Premier run »."""

from snippets.verifier.items import DONE, Page, find_renamed, review
from snippets.verifier.oracle import close, run_params, seven

PAGE = Page("first-run", "Premier run")


@PAGE.check("premier-run", "Premier run")
def first_run(store, course):
    run = PAGE.run(store, "premier-run", finished=True)
    params = run.data.params
    expected = {"C": "1.0", "gamma": "scale", "kernel": "rbf"}
    if params != expected:
        return review(
            f"paramètres {params}, {expected} attendus.",
            "mlflow.log_params(params) avec params = "
            '{"C": 1.0, "gamma": "scale", "kernel": "rbf"}.',
        )
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    accuracy = seven(tp, fp, fn, tn)["accuracy"]
    recorded = run.data.metrics.get("accuracy")
    if recorded is None:
        other = find_renamed(run.data.metrics, accuracy, [])
        named = f" ; « {other} » porte sa valeur" if other else ""
        return review(
            f"la métrique accuracy manque{named}.",
            'mlflow.log_metric("accuracy", accuracy) dans le bloc with du run.',
        )
    if not close(recorded, accuracy):
        return review(
            f"accuracy vaut {recorded:.4f}, {accuracy:.4f} attendu.",
            "L'exactitude se mesure sur le jeu de test : "
            "accuracy_score(y_test, model.predict(X_test)).",
        )
    return DONE, f"C=1.0, gamma=scale, exactitude {accuracy:.3f} recalculée.", ""
