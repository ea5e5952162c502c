"""Les vérifications de la page « Exercices »."""

from snippets.verifier.checks.evaluation import check_evaluation
from snippets.verifier.checks.registry import registry_versions
from snippets.verifier.items import (
    DONE,
    NotYet,
    Page,
    check_seven,
    find_renamed,
    in_registry,
    review,
    todo,
)
from snippets.verifier.oracle import MALIGNANT, SEVEN, close, run_params, seven

PAGE = Page("exercises", "Exercices")


def exercise_run(store, run_name, number):
    """Le run d'un exercice ; sans lui, l'exercice n'est « pas encore » fait."""
    run = store.named(store.course_experiment, run_name)
    if run is None:
        hint = f"Exercice {number} de la page « Exercices »."
        raise NotYet(f"aucun run « {run_name} ».", hint)
    return run


@PAGE.check("exercice-1", "Exercice 1 : le F1 de la classe maligne")
def exercise_f1(store, course):
    run = exercise_run(store, "exercice-f1", 1)
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    expected = 2 * tp / (2 * tp + fp + fn)
    benign = 2 * tn / (2 * tn + fn + fp)
    recorded = run.data.metrics.get("f1")
    if recorded is None:
        other = find_renamed(run.data.metrics, expected, SEVEN)
        if other:
            return review(
                f"la métrique f1 manque ; « {other} » porte sa valeur.",
                'Nommez-la f1 : mlflow.log_metric("f1", ...).',
            )
        return review(
            "la métrique f1 manque.", 'mlflow.log_metric("f1", f1_score(...)).'
        )
    if close(recorded, benign) and not close(recorded, expected):
        return review(
            f"f1 vaut {recorded:.4f} : le F1 de la classe bénigne ; "
            f"{expected:.4f} attendu.",
            "f1_score(y_test, y_pred, pos_label=MALIGNANT) : scikit-learn prend 1 "
            "(bénigne) par défaut.",
        )
    if not close(recorded, expected):
        return review(f"f1 vaut {recorded:.4f}, {expected:.4f} attendu.", "")
    return check_seven(run.data.metrics, tp, fp, fn, tn, "exercice-f1") or (
        DONE,
        f"F1 de la classe maligne {expected:.3f} recalculé.",
        "",
    )


@PAGE.check("exercice-2", "Exercice 2 : la courbe ROC comme artefact")
def exercise_roc(store, course):
    from sklearn.metrics import roc_auc_score

    run = exercise_run(store, "exercice-roc", 2)
    if "roc_curve.png" not in store.artifacts(run):
        return review(
            "l'artefact roc_curve.png manque.",
            'mlflow.log_figure(display.figure_, "roc_curve.png") dans le run.',
        )
    _, X_test, _, y_test = course.split
    scores = -course.svm(**run_params(run)).decision_function(X_test)
    expected = roc_auc_score(y_test == MALIGNANT, scores)
    recorded = run.data.metrics.get("roc_auc")
    if close(recorded, 1 - expected) and not close(recorded, expected):
        return review(
            f"roc_auc vaut {recorded:.4f} : l'aire de la classe bénigne.",
            "decision_function est positive pour la classe 1 : prenez son opposé, "
            "-model.decision_function(X_test).",
        )
    if not close(recorded, expected):
        shown = "absente" if recorded is None else f"{recorded:.4f}"
        return review(f"roc_auc {shown}, {expected:.4f} attendu.", "")
    return DONE, f"courbe enregistrée, aire {expected:.3f} recalculée.", ""


@PAGE.check("exercice-3", "Exercice 3 : deux noyaux")
def exercise_kernels(store, course):
    runs = store.runs(store.course_experiment, "tags.exercice = 'noyaux'")
    kernels = {}
    for run in runs:
        kernels.setdefault(run.data.params.get("kernel"), run)
    missing = [k for k in ("rbf", "linear") if k not in kernels]
    if len(missing) == 2:
        return todo(
            "aucun run tagué exercice = noyaux.", "Exercice 3 de la page « Exercices »."
        )
    if missing:
        return review(
            f"le noyau {missing[0]} manque.", "Un run par noyau : rbf et linear."
        )
    for kernel in ("rbf", "linear"):
        run = kernels[kernel]
        tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
        problem = check_seven(run.data.metrics, tp, fp, fn, tn, f"noyau {kernel}")
        if problem:
            return problem
    return DONE, "rbf et linear, métriques recalculées.", ""


@PAGE.check("exercice-6", "Exercice 6 : un run sur le serveur", server_only=True)
def exercise_server(store, course):
    run = store.named(store.course_experiment, "sur-serveur")
    if run is None:
        return todo("aucun run « sur-serveur » sur ce serveur.", "Exercice 6.")
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    return check_seven(run.data.metrics, tp, fp, fn, tn, "sur-serveur") or (
        DONE,
        "le run est sur le serveur, métriques recalculées.",
        "",
    )


FAMILIES_EXPERIMENT = "exercice-familles"


@PAGE.check(
    "exercice-7",
    "Exercice 7 : deux autres familles sous la porte",
    experiment=lambda: FAMILIES_EXPERIMENT,
)
def exercise_families(store, course):
    found = 0
    for name in ("regression-logistique", "plus-proches-voisins"):
        run = store.named(FAMILIES_EXPERIMENT, f"evaluation-{name}")
        if run is None:
            continue
        found += 1
        expected = course.test_counts(course.family(name))
        problem = check_evaluation(store, run, expected, figures=[])
        if problem:
            return problem
    if found == 0:
        return todo(
            f"aucune évaluation dans « {FAMILIES_EXPERIMENT} ».",
            "Exercice 7 de la page « Exercices ».",
        )
    if found == 1:
        return review("une des deux familles n'est pas évaluée.", "Évaluez les deux.")
    return DONE, "les deux familles évaluées, comptes recalculés.", ""


@PAGE.check(
    "exercice-8", "Exercice 8 : un challenger promu par la porte seule", in_registry
)
def exercise_promotion(store, course):
    from snippets.evaluation import SENSITIVITY_FLOOR

    model, versions = registry_versions(store)
    families = {
        run.info.run_name: version
        for version, run in versions
        if run is not None
        and run.info.run_name in ("regression-logistique", "plus-proches-voisins")
    }
    if not families:
        return todo(
            "aucune version des familles de l'exercice 7 dans le registre.",
            "Exercice 8 de la page « Exercices ».",
        )
    for name, version in families.items():
        sensitivity = seven(*course.test_counts(course.family(name)))["sensitivity"]
        gate = version.tags.get("quality_gate")
        if gate is None:
            return review(
                f"version {version.version} ({name}) sans tag quality_gate.",
                "Passez chaque version par challenge(version, test_dataset).",
            )
        champion = str(model.aliases.get("champion")) == str(version.version)
        if sensitivity < SENSITIVITY_FLOOR and (gate != "failed" or champion):
            return review(
                f"version {version.version} ({name}) : sensibilité {sensitivity:.3f}, "
                f"sous le plancher, mais quality_gate = {gate}.",
                "Seule la porte déplace l'alias champion.",
            )
    return DONE, f"{len(families)} versions passées par la porte.", ""
