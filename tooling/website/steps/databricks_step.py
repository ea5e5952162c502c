"""L'étape databricks : le notebook Databricks (tooling.website.notebook_builder), construit sans
être exécuté (il lui faut un espace de travail) ; il va tel quel sur le site."""

from tooling.website.step import Step

STEP = Step(
    "databricks", ["notebooks/cours-databricks.ipynb"], module=__name__,
    notebook="cours-databricks", cost=0,
)  # fmt: skip
