"""Les étapes de la génération du site, une par module : <étape>_step.py dit ce que l'étape
exécute, ce qu'elle produit et comment elle finit. Chaque fichier qu'une étape produit porte
son nom (local_data.txt, further_tuning.txt, migration_nested.txt, autolog.txt…) : on
retrouve ainsi, depuis l'inclusion --8<-- d'une page, le module qui l'écrit (local →
local_step.py).

STEPS : les étapes, dans l'ordre où la génération les rapporte.
"""

import importlib

NAMES = ["local", "databricks", "autolog", "algorithms", "further", "migration", "leaderboard"]
STEPS = [importlib.import_module(f"{__name__}.{name}_step").STEP for name in NAMES]
STEP_BY_NAME = {step.name: step for step in STEPS}
