"""Les deux notebooks du cours, construits à partir des sections de snippets/ que
montrent les pages : ils ne peuvent pas s'en écarter.

    python -m snippets.notebooks

écrit, sans sorties, docs/notebooks/cours-local.ipynb (les pages locales, dans l'ordre)
et docs/notebooks/cours-databricks.ipynb (à importer dans un espace Databricks).
"""

import itertools
import re
import textwrap
from pathlib import Path

import nbformat

from snippets.metrics import plot_confusion_matrix
from snippets.plots import plot_metrics_vs_c
from snippets.sweep import sweep_runs

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "notebooks"
DEFAULT_EXPERIMENT = "/Shared/svm-cancer-du-sein"


# Les cellules propres aux notebooks. Chaque fonction rend ses sections exécutables ici.
def show_figures(model, X_test, y_test):
    """Les figures du notebook local : matrice de confusion, puis métriques selon C."""
    # --8<-- [start:confusion_matrix]
    figure = plot_confusion_matrix(y_test, model.predict(X_test))
    figure  # en dernière ligne d'une cellule, la figure s'affiche
    # --8<-- [end:confusion_matrix]
    # --8<-- [start:sweep_figure]
    figure = plot_metrics_vs_c(sweep_runs())
    # --8<-- [end:sweep_figure]
    return figure


def restart_python():
    # --8<-- [start:restart]
    # Sur Databricks : redémarre Python pour charger les versions installées par %pip.
    if "dbutils" in globals():
        dbutils.library.restartPython()
    # --8<-- [end:restart]


def notebook_experiment_path():
    # --8<-- [start:widget]
    import os

    # Sur Databricks, le widget en haut du notebook donne le chemin de l'expérience ;
    # ailleurs, la variable MLFLOW_EXPERIMENT_NAME, sinon le chemin partagé.
    if "dbutils" in globals():
        dbutils.widgets.text(
            "experiment_path", "/Shared/svm-cancer-du-sein", "Expérience"
        )
        experiment_path = dbutils.widgets.get("experiment_path")
    else:
        default = "/Shared/svm-cancer-du-sein"
        experiment_path = os.environ.get("MLFLOW_EXPERIMENT_NAME", default)
    # --8<-- [end:widget]
    return experiment_path


def section(reference):
    """Le texte d'une section nommée, « fichier.py:nom », comme l'inclut une page."""
    name, part = reference.split(":")
    text = (ROOT / "snippets" / name).read_text()
    match = re.search(
        rf"^[ \t]*# --8<-- \[start:{part}\]\n(.*?)^[ \t]*# --8<-- \[end:{part}\]",
        text,
        re.M | re.S,
    )
    if match is None:
        raise KeyError(f"section introuvable : {reference}")
    lines = [line for line in match.group(1).splitlines() if "# --8<-- [" not in line]
    code = textwrap.dedent("\n".join(lines)).strip("\n")
    return re.sub(r"  # \(\d+\)!", "", code)  # les marqueurs d'annotation des pages


def code(*references):
    """Une cellule de code : les sections à la suite, espacées comme le veut PEP 8."""
    sections = [section(ref) for ref in references]
    source = sections[0]
    for previous, current in itertools.pairwise(sections):
        definitions = re.compile(r"^(def|class|@)", re.M)
        blank = 2 if definitions.search(previous) or definitions.search(current) else 1
        source += "\n" * (blank + 1) + current
    return nbformat.v4.new_code_cell(source)


def markdown(text):
    """Une cellule de texte, avec les espaces insécables de la typographie française."""
    parts = re.split(r"(`[^`]*`)", textwrap.dedent(text).strip())
    for i in range(0, len(parts), 2):  # hors du code en ligne
        parts[i] = re.sub(r" ([:;?!»])", "\u00a0\\1", parts[i]).replace("« ", "«\u00a0")
    return nbformat.v4.new_markdown_cell("".join(parts))


def pinned(*names):
    """Les versions du cours, lues dans requirements.txt."""
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    return " ".join(f"{name}=={pins[name]}" for name in names)


def local_cells():
    versions = pinned("mlflow", "scikit-learn")
    return [
        markdown(f"""
            # MLflow Tracking en local : le cours en un notebook

            Ce notebook reprend, dans l'ordre, le code des pages « Implémentation en
            local » du cours : un SVM qui distingue les tumeurs malignes des tumeurs
            bénignes, suivi avec MLflow. Lancez-le de haut en bas dans un dossier vide,
            avec les versions du cours (`pip install {versions}`) : les runs vont
            dans `mlflow.db`, dans le dossier du notebook. Pour les voir, lancez
            `mlflow ui` depuis ce même dossier.
            """),
        markdown("""
            ## Le jeu de données

            569 tumeurs, 30 variables numériques ; la cible vaut 0 pour une tumeur
            maligne et 1 pour une tumeur bénigne. La classe positive du cours est
            **maligne**.
            """),
        code("data.py:imports", "data.py:load"),
        code("data.py:explore"),
        code("data.py:split"),
        markdown("""
            ## Premier run

            L'URI de suivi désigne le magasin des runs ; l'expérience les regroupe. Un
            run enregistre des paramètres, des métriques et des tags.
            """),
        code("first_run.py:imports", "first_run.py:tracking", "first_run.py:model"),
        code("first_run.py:setup"),
        code("first_run.py:run"),
        code("first_run.py:read_back"),
        markdown("""
            ## Sept métriques et un artefact

            Les sept métriques se calculent à partir de la matrice de confusion, avec la
            tumeur maligne comme classe positive. La matrice de confusion est
            enregistrée comme artefact du run.
            """),
        code(
            "metrics.py:imports",
            "metrics.py:metrics",
            "metrics.py:figure",
            "metrics.py:log_evaluation",
        ),
        code("metrics.py:run"),
        code("metrics.py:artifacts"),
        markdown("La matrice de confusion de ce run, telle qu'elle est enregistrée :"),
        code("notebooks.py:confusion_matrix"),
        markdown("""
            ## Le modèle MLflow

            `mlflow.sklearn.log_model` enregistre le modèle avec la configuration par
            défaut : un *Logged Model*, rechargé par son URI `models:/<model_id>`.
            """),
        code("train.py:imports", "train.py:train_and_log"),
        code("logged_model.py:imports", "logged_model.py:log"),
        code("logged_model.py:files"),
        code("logged_model.py:load"),
        code("logged_model.py:check"),
        markdown("""
            ## Comparer les runs

            Un balayage de 5 valeurs de `C` et 4 valeurs de `gamma` : 20 runs, relus
            avec `mlflow.search_runs`, puis le choix du meilleur réglage.
            """),
        code("sweep.py:imports", "sweep.py:sweep"),
        code("sweep.py:run"),
        code("sweep.py:table"),
        markdown(
            "L'exactitude, la sensibilité et la spécificité selon `C`, par `gamma` :"
        ),
        code("plots.py:imports", "plots.py:metrics_vs_c"),
        code("notebooks.py:sweep_figure"),
        code("sweep.py:best"),
        code("sweep.py:choose"),
        code("train.py:parse_gamma", "sweep.py:requirements", "sweep.py:best_model"),
        markdown("""
            Ouvrez maintenant le Tracking UI (`mlflow ui` dans le dossier du notebook)
            pour comparer les runs du balayage : filtre `tags.sweep = 'C-gamma'`,
            **Compare**, puis **Scatter Plot** avec `C` en X et `accuracy` en Y.
            """),
    ]


def databricks_cells():
    return [
        markdown("""
            # MLflow Tracking sur Databricks : le cours en un notebook

            Importez ce notebook dans votre espace de travail (**Workspace** →
            **Import**), attachez-le au calcul **Serverless**, puis exécutez-le de haut
            en bas. Le widget **Expérience**, en haut du notebook, donne le chemin de
            l'expérience : par défaut `/Shared/svm-cancer-du-sein`, ou `/Users/<votre
            e-mail>/…`.

            Aucun jeton ici : dans un notebook Databricks, MLflow est déjà authentifié.
            """),
        markdown("## Les versions du cours"),
        nbformat.v4.new_code_cell(f"%pip install {pinned('mlflow', 'scikit-learn')}"),
        code("notebooks.py:restart"),
        markdown("## Le code du cours : données, modèle, métriques, balayage"),
        code("data.py:imports", "data.py:load"),
        code("first_run.py:imports", "first_run.py:tracking", "first_run.py:model"),
        code(
            "metrics.py:imports",
            "metrics.py:metrics",
            "metrics.py:figure",
            "metrics.py:log_evaluation",
        ),
        code("train.py:imports", "train.py:train_and_log", "train.py:parse_gamma"),
        code("sweep.py:imports", "sweep.py:sweep", "sweep.py:best"),
        markdown("""
            ## Le suivi dans l'espace de travail

            L'URI de suivi vaut `databricks`, et l'expérience est un chemin de l'espace.
            """),
        code("databricks_tracking.py:imports", "databricks_tracking.py:credentials"),
        code("notebooks.py:widget"),
        code("databricks_tracking.py:sweep"),
        code("databricks_tracking.py:check"),
        code("databricks_tracking.py:run"),
        code("databricks_tracking.py:load"),
        markdown("""
            Ouvrez **Experiments** dans le menu de gauche, puis l'expérience du widget :
            les 20 runs du balayage et le run `meilleur-reglage`, avec son modèle.
            """),
    ]


def notebook(cells, name):
    book = nbformat.v4.new_notebook(cells=cells)
    # Des identifiants de cellule stables : le fichier ne change que si le code change.
    for number, cell in enumerate(book.cells, 1):
        cell.id = f"{name}-{number:02d}"
    book.metadata = {
        "kernelspec": {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    nbformat.validate(book)
    return book


def build(output=OUTPUT):
    """Écrit les deux notebooks dans output ; renvoie leurs chemins."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, cells in [
        ("cours-local", local_cells()),
        ("cours-databricks", databricks_cells()),
    ]:
        path = output / f"{name}.ipynb"
        path.write_text(nbformat.writes(notebook(cells, name)) + "\n")
        paths.append(path)
    return paths


def main():
    for path in build():
        print(f"Notebook écrit : {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
