"""L'étape registry : la page « Le registre des modèles » (registry.md), exécutée seule, ses blocs
collés dans l'ordre dans une même session, dans un dossier vide, comme un apprenant qui
commence par elle ; elle produit ce qu'ils affichent (registry.txt)."""

from tooling.website.step import Step

STEP = Step.for_page("registry", __name__, cost=4)
