"""L'étape autolog : la page « Autologging » (autolog.md), exécutée seule, ses blocs
collés dans l'ordre dans une même session, dans un dossier vide, comme un apprenant qui
commence par elle ; elle produit ce qu'ils affichent (autolog.txt)."""

from tooling.website.step import Step

STEP = Step.for_page("autolog", __name__, cost=8)
