"""Les vérifications de la page « Comparer plusieurs algorithmes »."""

from snippets.verifier.items import DONE, Page, review, todo
from snippets.verifier.oracle import MALIGNANT, SEVEN, close, seven

PAGE = Page("algorithms", "Comparer plusieurs algorithmes", "ALGORITHMS_EXPERIMENT")


def consistent_seven(metrics, n_positive, n_negative):
    """Les sept métriques d'un run sont-elles celles d'une matrice de confusion du jeu
    de test ? (vrai ssi elles découlent d'entiers tp et tn)"""
    if any(name not in metrics for name in SEVEN):
        return False
    tp = round(metrics["sensitivity"] * n_positive)
    tn = round(metrics["specificity"] * n_negative)
    expected = seven(tp, n_negative - tn, n_positive - tp, tn)
    return all(close(metrics[name], expected[name]) for name in SEVEN)


@PAGE.check("sept-familles", "Sept familles de modèles, un run chacune")
def algorithms(store, course):
    from snippets.algorithms import model_families

    experiment = PAGE.experiment()
    _, _, _, y_test = course.split
    n_positive = int((y_test == MALIGNANT).sum())
    names = list(model_families())
    runs = {name: store.named(experiment, name) for name in names}
    missing = [name for name, run in runs.items() if run is None]
    if len(missing) == len(names):
        return todo(
            f"aucun run des sept familles dans « {experiment} ».",
            PAGE.hint,
        )
    if missing:
        return review(
            f"familles sans run terminé : {', '.join(missing)}.",
            "Relancez la boucle sur model_families().",
        )
    for name, run in runs.items():
        if not consistent_seven(run.data.metrics, n_positive, len(y_test) - n_positive):
            return review(
                f"run {name} : les sept métriques ne viennent pas d'une même matrice "
                "de confusion du jeu de test.",
                "log_evaluation(model, X_test, y_test) dans chaque run.",
            )
    history = store.client.get_metric_history(
        runs["reseau-de-neurones"].info.run_id, "loss"
    )
    if len(history) < 2:
        return review(
            "le run reseau-de-neurones n'a pas l'historique de sa perte (loss).",
            "log_loss_curve(estimator.loss_curve_) : une valeur par époque.",
        )
    return DONE, f"sept runs, métriques cohérentes, {len(history)} valeurs de loss.", ""
