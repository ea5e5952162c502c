"""L'étape further : le notebook « Aller plus loin » (données, réglage, évaluation, registre),
exécuté de haut en bas par un vrai noyau Jupyter dans un dossier vide ; le notebook exécuté
va sur le site, et son magasin reste dans le cache pour les tests."""

from tooling.website.step import Step

STEP = Step(
    "further", ["notebooks/cours-plus-loin.ipynb"], module=__name__,
    notebook="cours-plus-loin", execute=True, cost=6,
)  # fmt: skip
