"""Les vérifications de la page « Les données dans le run »."""

from snippets.verifier.items import DONE, Page, check_seven, review, todo
from snippets.verifier.oracle import run_params

PAGE = Page("datasets", "Les données dans le run", "DATASETS_EXPERIMENT")


def expected_digests(course):
    import mlflow

    X_train, X_test, y_train, y_test = course.split
    return {
        "training": mlflow.data.from_pandas(
            X_train.assign(target=y_train), targets="target"
        ).digest,
        "test": mlflow.data.from_pandas(
            X_test.assign(target=y_test), targets="target"
        ).digest,
    }


def run_datasets(run):
    """{contexte: jeu de données} des entrées du run."""
    found = {}
    for dataset_input in run.inputs.dataset_inputs:
        tags = {tag.key: tag.value for tag in dataset_input.tags}
        found[tags.get("mlflow.data.context")] = dataset_input.dataset
    return found


def check_datasets(store, course, run):
    run = store.client.get_run(run.info.run_id)  # search_runs ne rend pas les entrées
    found = run_datasets(run)
    expected = expected_digests(course)
    for context, digest in expected.items():
        if context not in found:
            return review(
                f"le run {run.info.run_name} n'a pas de jeu de données « {context} ».",
                f'mlflow.log_input(dataset, context="{context}") : log_datasets(...) '
                "enregistre les deux parties du découpage.",
            )
        if found[context].digest != digest:
            return review(
                f"le jeu « {context} » du run {run.info.run_name} a l'empreinte "
                f"{found[context].digest}, {digest} attendue.",
                "Enregistrez les parties du découpage du cours (load_data()), cible "
                'comprise (targets="target").',
            )
    return None


@PAGE.check("svm-et-donnees", "Un run avec ses deux jeux de données")
def datasets_run(store, course):
    run = PAGE.run(store, "svm-et-donnees")
    problem = check_datasets(store, course, run)
    if problem:
        return problem
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    problem = check_seven(run.data.metrics, tp, fp, fn, tn, "svm-et-donnees")
    if problem:
        return problem
    second = store.named(PAGE.experiment(), "svm-memes-donnees")
    if second is None:
        return todo(
            "le second run, « svm-memes-donnees », manque.",
            "Exécutez le bloc « Ce que prouve l'empreinte ».",
        )
    problem = check_datasets(store, course, second)
    if problem:
        return problem
    return DONE, "deux runs, mêmes empreintes que le découpage du cours.", ""
