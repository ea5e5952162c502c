"""L'étape algorithms : la page « Comparer plusieurs algorithmes » (algorithms.md), exécutée
seule dans un dossier vide ; elle produit ce qu'affichent ses blocs (algorithms.txt), puis la
figure des sept familles, tirée des runs que la page a enregistrés (algorithmes.png)."""

from tooling.website.runner import experiments, store_uri, tracking
from tooling.website.step import Step


def finish(out, folder):
    import mlflow
    from mlflow import MlflowClient

    from tooling.website import figures

    with tracking(folder):
        runs = mlflow.search_runs(experiment_ids=experiments(MlflowClient(store_uri(folder))))
    figures.save(figures.plot_families(runs), out / "algorithmes.png")


STEP = Step.for_page("algorithms", __name__, ["algorithmes.png"], finish=finish, cost=7)
