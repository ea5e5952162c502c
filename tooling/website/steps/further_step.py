"""L'étape further : le notebook « Aller plus loin », fait des blocs des pages « Les données
dans le run », « Régler sans tricher », « Évaluer le modèle choisi » et « Le registre des
modèles » dans l'ordre (tooling.website.notebook_builder), exécuté de haut en bas par un vrai
noyau Jupyter dans un dossier vide, comme un apprenant qui les suit dans l'ordre.

Elle produit la sortie de chaque page (celle de ses cellules, further_<page>.txt) et les
figures de mlflow.models.evaluate que montre la page de l'évaluation, tirées du run de
l'évaluation ; le notebook exécuté va sur le site, et son magasin reste dans le cache pour les
tests. Chaque page était exécutée une seconde fois, seule, pour sa sortie : les tests le font
déjà (tests/pages/), et cela coûtait à la construction une étude et sept modèles de plus.
"""

from pathlib import Path

from tooling.website.notebook_builder import FURTHER_PAGES
from tooling.website.runner import experiments, output_name, page_outputs, store_uri
from tooling.website.step import Step

# L'artefact du run de l'évaluation : le nom de la figure sur le site.
FIGURES = {
    "confusion_matrix.png": "further_evaluation_matrice_confusion.png",
    "roc_curve_plot.png": "further_evaluation_courbe_roc.png",
    "precision_recall_curve_plot.png": "further_evaluation_courbe_precision_rappel.png",
}


def finish(out, folder):
    """Dans un processus de travail, après le notebook : la sortie de ses pages, puis les
    figures du run de l'évaluation, relues dans son magasin."""
    from mlflow import MlflowClient

    page_outputs(out / "notebooks" / "cours-plus-loin.ipynb", out)
    client = MlflowClient(store_uri(folder))
    [run] = client.search_runs(
        experiments(client), "attributes.run_name = 'evaluation-modele-choisi'"
    )
    for artifact, name in FIGURES.items():
        local = client.download_artifacts(run.info.run_id, artifact, str(out))
        Path(local).rename(out / name)


STEP = Step(
    "further",
    ["notebooks/cours-plus-loin.ipynb", *map(output_name, FURTHER_PAGES), *FIGURES.values()],
    module=__name__, notebook="cours-plus-loin", execute=True, finish=finish, cost=9,
)  # fmt: skip
