"""Les vérifications de la page « Comparer les runs »."""

from snippets.verifier.items import DONE, Page, check_model, check_seven, review, todo
from snippets.verifier.oracle import run_params, seven

PAGE = Page("sweep", "Comparer les runs")


def sweep_grid():
    from snippets.sweep import C_VALUES, GAMMA_VALUES

    return [(C, gamma) for C in C_VALUES for gamma in GAMMA_VALUES]


@PAGE.check("balayage", "Le balayage : 20 réglages de C et gamma")
def sweep(store, course):
    runs = store.runs(store.course_experiment, "tags.sweep = 'C-gamma'")
    if not runs:
        return todo(
            "aucun run du balayage (tag sweep = C-gamma) dans "
            f"« {store.course_experiment} ».",
            PAGE.hint,
        )
    latest = {}
    for run in runs:  # les plus récents d'abord : on garde le dernier de chaque réglage
        key = (run.data.params.get("C"), run.data.params.get("gamma"))
        latest.setdefault(key, run)
    missing = [(C, g) for C, g in sweep_grid() if (str(C), str(g)) not in latest]
    if missing:
        names = " ; ".join(f"C={C} gamma={g}" for C, g in missing)
        return review(
            f"{len(missing)} réglages manquent : {names}.",
            "Relancez le balayage (run_sweep() ou python -m snippets.sweep) : "
            "il ne refait que les réglages qui n'ont pas de run terminé.",
        )
    for C, gamma in sweep_grid():
        run = latest[(str(C), str(gamma))]
        tp, fp, fn, tn = course.test_counts(course.svm(C, gamma))
        where = f"run {run.info.run_name} (C={C}, gamma={gamma})"
        problem = check_seven(run.data.metrics, tp, fp, fn, tn, where)
        if problem:
            return problem
    return DONE, "les 20 réglages, métriques recalculées.", ""


def best_setting(course):
    """Le réglage que le critère du cours choisit : exactitude équilibrée, puis
    sensibilité ; tous les ex æquo sont acceptés."""
    scored = []
    for C, gamma in sweep_grid():
        metrics = seven(*course.test_counts(course.svm(C, gamma)))
        balanced = round((metrics["sensitivity"] + metrics["specificity"]) / 2, 10)
        scored.append(((balanced, round(metrics["sensitivity"], 10)), (C, gamma)))
    top = max(score for score, _ in scored)
    return [setting for score, setting in scored if score == top], top


@PAGE.check("meilleur-reglage", "Le meilleur réglage et son modèle")
def best_run(store, course):
    run = PAGE.run(store, "meilleur-reglage")
    settings, (balanced, _) = best_setting(course)
    params = run_params(run)
    if (params["C"], params["gamma"]) not in settings:
        C, gamma = settings[0]
        return review(
            f"le run retient C={params['C']}, gamma={params['gamma']} ; le critère du "
            f"cours choisit C={C}, gamma={gamma} (exactitude équilibrée "
            f"{balanced:.4f}).",
            "Le critère : la plus grande moyenne de la sensibilité et de la "
            "spécificité, puis la plus grande sensibilité (select_best_run).",
        )
    models = store.logged_models(store.course_experiment, run)
    if not models:
        return review(
            "le run « meilleur-reglage » n'a pas de modèle.",
            "train_and_log(...) enregistre le modèle avec log_model=True (par défaut).",
        )
    problem = check_model(
        store,
        course,
        f"models:/{models[0].model_id}",
        course.svm(**params),
        "Le modèle du meilleur réglage",
    )
    if problem:
        return problem
    return DONE, f"C={params['C']}, gamma={params['gamma']}, modèle vérifié.", ""
