"""Les vérifications de la page « Le registre des modèles »."""

from snippets.verifier.items import DONE, Page, check_model, in_registry, review, todo
from snippets.verifier.oracle import run_params, seven

PAGE = Page("registry", "Le registre des modèles")


def registry_versions(store):
    """Les versions du modèle nommé du cours, avec leurs alias et le nom de leur run."""
    from mlflow.exceptions import MlflowException

    from snippets.registry import REGISTERED_MODEL

    try:
        model = store.client.get_registered_model(REGISTERED_MODEL)
    except MlflowException:
        return None, []
    found = store.client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
    versions = []
    for version in found:
        version = store.client.get_model_version(REGISTERED_MODEL, version.version)
        run = store.client.get_run(version.run_id) if version.run_id else None
        versions.append((version, run))
    return model, sorted(versions, key=lambda pair: int(pair[0].version))


def recomputed_sensitivity(course, run):
    """La sensibilité du modèle d'un run, réentraîné ici ; None si son modèle n'est
    pas un SVM du cours ni une famille des exercices."""
    if run is None:
        return None
    name = run.info.run_name
    if name in ("regression-logistique", "plus-proches-voisins"):
        model = course.family(name)
    elif "C" in run.data.params:
        model = course.svm(**run_params(run))
    else:
        return None
    return seven(*course.test_counts(model))["sensitivity"], model


@PAGE.check(
    "svm-tumeurs", "Le registre : versions, porte et alias champion", in_registry
)
def registry(store, course):
    from snippets.evaluation import SENSITIVITY_FLOOR
    from snippets.registry import REGISTERED_MODEL

    model, versions = registry_versions(store)
    if model is None or not versions:
        return todo(
            f"aucun modèle « {REGISTERED_MODEL} » dans le registre.",
            PAGE.hint,
        )
    untagged = [str(v.version) for v, _ in versions if "quality_gate" not in v.tags]
    if untagged:
        return review(
            f"versions sans tag quality_gate : {', '.join(untagged)}.",
            "Passez chaque version par challenge(version, test_dataset) : il pose "
            "le tag.",
        )
    if "champion" not in model.aliases:
        return review(
            "aucune version n'a l'alias champion.",
            "challenge() pose l'alias champion sur une version qui franchit la porte.",
        )
    by_number = {str(v.version): (v, run) for v, run in versions}
    champion, champion_run = by_number[str(model.aliases["champion"])]
    if champion.tags["quality_gate"] != "passed":
        return review(
            f"le champion, version {champion.version}, n'a pas franchi la porte.",
            "L'alias champion ne bouge que par challenge(), porte franchie.",
        )
    for version, run in versions:
        found = recomputed_sensitivity(course, run)
        if (
            found
            and found[0] < SENSITIVITY_FLOOR
            and version.tags["quality_gate"] != "failed"
        ):
            return review(
                f"version {version.version} : sensibilité {found[0]:.3f} sous le "
                f"plancher {SENSITIVITY_FLOOR}, et pourtant quality_gate = "
                f"{version.tags['quality_gate']}.",
                "La porte de qualité (quality_gate) doit refuser cette version.",
            )
    found = recomputed_sensitivity(course, champion_run)
    if found:
        from snippets.registry import alias_uri

        problem = check_model(
            store, course, alias_uri("champion"), found[1], "Le champion"
        )
        if problem:
            return problem
    numbers = ", ".join(str(v.version) for v, _ in versions)
    return DONE, f"versions {numbers}, champion version {champion.version}.", ""
