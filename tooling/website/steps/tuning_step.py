"""L'étape tuning : la page « Régler sans tricher » (tuning.md), exécutée seule, ses blocs
collés dans l'ordre dans une même session, dans un dossier vide, comme un apprenant qui
commence par elle ; elle produit ce qu'ils affichent (tuning.txt)."""

from tooling.website.step import Step

STEP = Step.for_page("tuning", __name__, cost=3)
