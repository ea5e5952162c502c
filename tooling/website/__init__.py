"""La génération du matériel du site à partir de vrais runs : generation (ce qui manque au
cache, les remplaçants), steps/ (les étapes, une par module), step (ce qu'est une étape),
scheduler (les étapes côte à côte), cache_key (l'empreinte d'une étape, tirée de ce qu'elle
lit), runner (une page ou un notebook exécutés comme par un apprenant), maintainer_tools
(l'environnement d'un apprenant, sans les outils des mainteneurs), notebook_builder (les
notebooks du cours), figures (les figures que les pages ne tracent pas elles-mêmes)."""
