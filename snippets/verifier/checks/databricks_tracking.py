"""Les vérifications de la page « MLflow sur Databricks »."""

from snippets.verifier.checks.sweep import best_run, sweep
from snippets.verifier.items import Page

PAGE = Page("databricks-tracking", "MLflow sur Databricks")


@PAGE.check("balayage", "Le balayage dans l'espace Databricks")
def databricks_sweep(store, course):
    return sweep(store, course)


@PAGE.check("meilleur-reglage", "Le meilleur réglage, sur Databricks")
def databricks_best(store, course):
    return best_run(store, course)
