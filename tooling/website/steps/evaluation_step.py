"""L'étape evaluation : la page « Évaluer le modèle choisi » (evaluation.md), exécutée seule
dans un dossier vide ; elle produit ce qu'affichent ses blocs (evaluation.txt), puis les
figures de mlflow.models.evaluate que la page montre, tirées du run de l'évaluation."""

from pathlib import Path

from tooling.website.runner import experiments, store_uri
from tooling.website.step import Step

# L'artefact du run : le nom de la figure sur le site.
FIGURES = {
    "confusion_matrix.png": "evaluation_matrice_confusion.png",
    "roc_curve_plot.png": "evaluation_courbe_roc.png",
    "precision_recall_curve_plot.png": "evaluation_courbe_precision_rappel.png",
}


def finish(out, folder):
    from mlflow import MlflowClient

    client = MlflowClient(store_uri(folder))
    [run] = client.search_runs(
        experiments(client), "attributes.run_name = 'evaluation-modele-choisi'"
    )
    for artifact, name in FIGURES.items():
        local = client.download_artifacts(run.info.run_id, artifact, str(out))
        Path(local).rename(out / name)


STEP = Step.for_page("evaluation", __name__, FIGURES.values(), finish=finish, cost=4)
