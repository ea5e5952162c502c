"""L'étape local : le notebook local, fait des blocs des pages locales dans l'ordre
(tooling.website.notebook_builder), exécuté de haut en bas par un vrai noyau Jupyter dans un
dossier vide, comme un apprenant qui suit le cours dans l'ordre.

Elle produit la sortie de chaque page locale (celle de ses cellules), le vrai MLmodel du
modèle de la page « Le modèle MLflow » et ses dépendances, les figures des pages locales, et
ce que répond la vérification du travail après ces pages ; le notebook exécuté va sur le site.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from tooling.website.notebook_builder import LOCAL_PAGES
from tooling.website.runner import experiments, output_name, page_outputs, store_uri, tracking
from tooling.website.step import Step

FEATURES = ["mean radius", "mean texture", "mean concave points", "worst area"]
# Les pages que la vérification du travail connaît : celles de local/.
VERIFIED_PAGES = [
    arg for page in LOCAL_PAGES if page.startswith("local/") for arg in ("--page", Path(page).stem)
]
FIGURES = [
    "matrice_confusion.png", "metriques_selon_C.png", "sensibilite_C_gamma.png",
    "equilibre_classes.png", "distributions.png",
]  # fmt: skip


def finish(out, folder):
    """Dans un processus de travail, après le notebook : ce qu'il a enregistré, relu."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.datasets import load_breast_cancer

    from tooling.website import figures

    page_outputs(out / "notebooks" / "cours-local.ipynb", out)

    client = MlflowClient(store_uri(folder))
    [experiment] = experiments(client)
    # Le vrai MLmodel et les dépendances du modèle de la page « Le modèle MLflow » : le
    # premier Logged Model du notebook (le second est celui du meilleur réglage).
    [model, *_] = client.search_logged_models(
        [experiment], order_by=[{"field_name": "creation_time", "ascending": True}]
    )
    with tracking(folder):
        model_dir = Path(mlflow.artifacts.download_artifacts(f"models:/{model.model_id}"))
    shutil.copy(model_dir / "MLmodel", out / "local_MLmodel")
    shutil.copy(model_dir / "requirements.txt", out / "local_model_requirements.txt")
    # L'artefact de la page « Sept métriques », et la figure qu'écrit la page « Comparer ».
    [run] = client.search_runs([experiment], "attributes.run_name = 'sept-metriques'")
    local = client.download_artifacts(run.info.run_id, "confusion_matrix.png", str(out))
    Path(local).rename(out / "matrice_confusion.png")
    shutil.copy(folder / "metriques_selon_C.png", out / "metriques_selon_C.png")
    with tracking(folder):
        runs = mlflow.search_runs([experiment], "tags.sweep = 'C-gamma'")
    figures.save(figures.plot_heatmap(runs, "sensitivity"), out / "sensibilite_C_gamma.png")
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    figures.save(figures.plot_class_balance(target), out / "equilibre_classes.png")
    figures.save(
        figures.plot_feature_distributions(features, target, FEATURES),
        out / "distributions.png",
    )
    # Ce que répond la vérification du travail après les pages locales (page « Comparer »).
    verified = subprocess.run(
        [sys.executable, "-m", "snippets.verifier", *VERIFIED_PAGES],
        cwd=folder, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if verified.returncode != 0:
        raise RuntimeError(f"La vérification refuse les pages locales :\n{verified.stdout}")
    (out / "local_verifier.txt").write_text(verified.stdout)


STEP = Step(
    "local",
    [
        "notebooks/cours-local.ipynb", *map(output_name, LOCAL_PAGES), "local_MLmodel",
        "local_model_requirements.txt", *FIGURES, "local_verifier.txt",
    ],
    module=__name__, notebook="cours-local", execute=True, finish=finish, cost=9,
)  # fmt: skip
