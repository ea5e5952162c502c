"""Les mesures publiées dans measurements/ : ce que coûte la construction du site
(python -m tooling.measures.build_benchmark) et l'essai de charge d'une classe sur le serveur
de la page « Serveur de suivi partagé » (python -m tooling.measures.class_benchmark)."""
