"""L'étape datasets : la page « Les données dans le run » (datasets.md), exécutée seule, ses blocs
collés dans l'ordre dans une même session, dans un dossier vide, comme un apprenant qui
commence par elle ; elle produit ce qu'ils affichent (datasets.txt)."""

from tooling.website.step import Step

STEP = Step.for_page("datasets", __name__, cost=2)
