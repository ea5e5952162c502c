"""Les vérifications de la page « Sept métriques et un artefact »."""

from snippets.verifier.items import DONE, Page, check_seven, review
from snippets.verifier.oracle import run_params, seven

PAGE = Page("metrics", "Sept métriques et un artefact")


@PAGE.check("sept-metriques", "Sept métriques et la matrice de confusion")
def seven_metrics(store, course):
    run = PAGE.run(store, "sept-metriques", finished=True)
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    problem = check_seven(run.data.metrics, tp, fp, fn, tn, "sept-metriques")
    if problem:
        return problem
    if "confusion_matrix.png" not in store.artifacts(run):
        return review(
            "l'artefact confusion_matrix.png manque.",
            "mlflow.log_figure(plot_confusion_matrix(y_test, y_pred), "
            '"confusion_matrix.png") dans le run.',
        )
    sensitivity = seven(tp, fp, fn, tn)["sensitivity"]
    return (
        DONE,
        f"sept métriques recalculées (sensibilité {sensitivity:.3f}), matrice.",
        "",
    )
