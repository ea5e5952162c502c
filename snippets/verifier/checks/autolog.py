"""Les vérifications de la page « Autologging »."""

from snippets.verifier.items import DONE, Page, review, todo
from snippets.verifier.oracle import MALIGNANT, close

PAGE = Page("autolog", "Autologging", "AUTOLOG_EXPERIMENT")


@PAGE.check("svm-autolog", "Le SVM et la grille, journalisés automatiquement")
def autolog(store, course):
    from sklearn.metrics import precision_score

    experiment = PAGE.experiment()
    run = PAGE.run(store, "svm-autolog")
    X_train, _, y_train, _ = course.split
    predicted = course.svm().predict(X_train)
    expected = precision_score(y_train, predicted, pos_label=MALIGNANT)
    weighted = precision_score(y_train, predicted, average="weighted")
    recorded = run.data.metrics.get("training_precision_score")
    if close(recorded, weighted) and not close(recorded, expected):
        return review(
            f"training_precision_score vaut {recorded:.4f} : la précision pondérée des "
            f"deux classes, pas celle de la classe maligne ({expected:.4f}).",
            "mlflow.sklearn.autolog(pos_label=MALIGNANT) : sans lui, autolog pondère.",
        )
    if not close(recorded, expected):
        return review(
            f"training_precision_score {recorded}, {expected:.4f} attendu.",
            "Activez l'autologging avant l'entraînement (bloc « Activer »).",
        )
    grid = store.named(experiment, "grille-autolog")
    if grid is None:
        return todo(
            "la recherche par grille (« grille-autolog ») manque.",
            "Exécutez le bloc de la recherche par grille.",
        )
    children = store.children(grid)
    if len(children) != 5:
        return review(
            f"{len(children)} runs enfants sous grille-autolog, 5 attendus.",
            "max_tuning_runs=5 dans mlflow.sklearn.autolog.",
        )
    return DONE, "précision de la classe maligne recalculée, grille et 5 enfants.", ""
