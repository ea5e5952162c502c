"""Les vérifications, un module par page du cours ; chacun enregistre les siennes
(items.check) quand il est importé."""

from snippets.verifier.checks import (  # noqa: F401 (ils enregistrent leurs vérifications)
    algorithms,
    autolog,
    databricks_tracking,
    datasets,
    evaluation,
    exercises,
    first_run,
    logged_model,
    metrics,
    registry,
    spark_study,
    sweep,
    tuning,
)
from snippets.verifier.items import CHECKS

# L'ordre du cours, donc celui du bilan ; dans une page, l'ordre de son module.
COURSE_ORDER = [
    "first-run",
    "metrics",
    "logged-model",
    "sweep",
    "databricks-tracking",
    "datasets",
    "tuning",
    "spark-study",
    "evaluation",
    "registry",
    "algorithms",
    "autolog",
    "exercises",
]
CHECKS.sort(key=lambda entry: COURSE_ORDER.index(entry[0]))
