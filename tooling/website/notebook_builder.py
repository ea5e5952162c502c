"""Les deux notebooks du cours, construits à partir des sections de snippets/ que montrent
les pages : ils ne peuvent pas s'en écarter. Rien n'est versionné : la génération du site
(tooling.website.generation) les construit, exécute le notebook local et les ajoute au site.

    python -m tooling.website.notebook_builder [--output DOSSIER]

écrit, sans sorties, cours-local.ipynb (les pages locales, dans l'ordre) et
cours-databricks.ipynb (à importer dans un espace Databricks).
"""

import itertools
import re
import textwrap
from pathlib import Path

import nbformat

from tooling import ROOT, command_line
from tooling.sections import ANNOTATION, python_blocks, section
from tooling.versions import pinned

CODE_GROUPS = ROOT / "docs" / "includes" / "code"
NAMES = ["cours-local", "cours-databricks", "cours-plus-loin"]


def group_sections(name):
    """Les sections propres à un bloc « Code des pages précédentes » (docs/includes/code/)."""
    text = (CODE_GROUPS / f"{name}.txt").read_text()
    return re.findall(r'^--8<-- "snippets/([^"]+)"$', text, re.M)


def versions(*names):
    pins = pinned()
    return " ".join(f"{name}=={pins[name]}" for name in names)


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


# Les pages locales, dans l'ordre, avec ce que le notebook en dit.
LOCAL_PAGES = {
    "data.md": """
        ## Le jeu de données

        569 tumeurs, 30 variables numériques ; la cible vaut 0 pour une tumeur
        maligne et 1 pour une tumeur bénigne. La classe positive du cours est
        **maligne**.
        """,
    "local/first-run.md": """
        ## Premier run

        L'URI de suivi désigne le magasin des runs ; l'expérience les regroupe. Un
        run enregistre des paramètres, des métriques et des tags.
        """,
    "local/metrics.md": """
        ## Sept métriques et un artefact

        Les sept métriques se calculent à partir de la matrice de confusion, avec la
        tumeur maligne comme classe positive. La matrice de confusion est
        enregistrée comme artefact du run.
        """,
    "local/logged-model.md": """
        ## Le modèle MLflow

        `mlflow.sklearn.log_model` enregistre le modèle avec la configuration par
        défaut : un *Logged Model*, rechargé par son URI `models:/<model_id>`.
        """,
    "local/sweep.md": """
        ## Comparer les runs

        Un balayage de 5 valeurs de `C` et 4 valeurs de `gamma` : 20 runs, relus
        avec `mlflow.search_runs`, puis le choix du meilleur réglage.
        """,
}
# Les cellules propres au notebook : chacune après le bloc d'une page qui contient la section
# nommée, avec son texte.
EXTRA_CELLS = [
    (
        "metrics.py:artifacts",
        "notebooks.py:confusion_matrix",
        "La matrice de confusion de ce run, telle qu'elle est enregistrée :",
    ),
    ("sweep.py:figure", "notebooks.py:show", None),
]


def page_cells(page):
    """Les blocs d'une page (sans le code des pages précédentes), une cellule chacun, marqués
    du nom de la page : la génération du site en tire la sortie de la page."""
    cells = []
    for block in python_blocks(ROOT / "docs" / page, own=True):
        cell = nbformat.v4.new_code_cell(ANNOTATION.sub("", block).strip("\n"))
        cell.metadata["course_page"] = page
        cells.append(cell)
    return cells


def local_cells():
    pins = versions("mlflow", "scikit-learn")
    cells = [
        markdown(f"""
            # MLflow Tracking en local : le cours en un notebook

            Ce notebook reprend, dans l'ordre, les blocs de code des pages
            « Implémentation en local » du cours : un SVM qui distingue les tumeurs
            malignes des tumeurs bénignes, suivi avec MLflow. Lancez-le de haut en bas
            dans un dossier vide, avec les versions du cours (`pip install {pins}`) :
            les runs vont dans `mlflow.db`, dans le dossier du notebook. Pour les voir,
            lancez `mlflow ui` depuis ce même dossier.
            """),
    ]
    # Une commande de Jupyter, pas du Python : les figures s'affichent sous les cellules.
    cells.append(nbformat.v4.new_code_cell("%matplotlib inline"))
    for page, text in LOCAL_PAGES.items():
        cells += [markdown(text), *page_cells(page)]
    for after, reference, text in EXTRA_CELLS:
        extra = [markdown(text)] if text else []
        extra.append(code(reference))
        [index] = [i for i, cell in enumerate(cells) if section(after) in cell.source]
        cells[index + 1 : index + 1] = extra
    cells.append(
        markdown("""
            Ouvrez maintenant le Tracking UI (`mlflow ui` dans le dossier du notebook)
            pour comparer les runs du balayage, une valeur de gamma à la fois : filtre
            `tags.sweep = 'C-gamma' and params.gamma = '0.01'`, **Compare**, puis
            **Scatter Plot** avec `C` en X et `accuracy` en Y. Le **Contour Plot** des
            20 runs (filtre `tags.sweep = 'C-gamma'`) montre ensuite le couple
            (`C`, `gamma`).
            """)
    )
    return cells


# Les pages « Aller plus loin » qui prolongent le modèle : chacune reprend les précédentes.
FURTHER_PAGES = {
    "datasets.md": """
        ## Les données dans le run

        Les deux parties du découpage, enregistrées comme jeux de données du run avec
        `mlflow.log_input`, puis comparées par leur empreinte.
        """,
    "tuning.md": """
        ## Régler sans tricher

        Une étude Optuna note chaque réglage par validation croisée sur l'entraînement
        seulement : un run parent pour l'étude, un run enfant par essai. Le test ne sert
        qu'une fois, pour mesurer le réglage retenu.
        """,
    "evaluation.md": """
        ## Évaluer le modèle choisi

        `mlflow.models.evaluate`, avec la tumeur maligne comme classe positive, puis une
        porte de qualité.
        """,
    "registry.md": """
        ## Le registre des modèles

        Des versions, les alias `champion` et `challenger`, et une promotion qui passe par la
        porte de qualité.
        """,
}


def further_cells():
    pins = versions("mlflow", "scikit-learn", "optuna")
    cells = [
        markdown(f"""
            # Aller plus loin : le cours en un notebook

            Ce notebook reprend, dans l'ordre, les blocs de code des pages « Les données
            dans le run », « Régler sans tricher », « Évaluer le modèle choisi » et « Le
            registre des modèles ». Lancez-le de haut en bas dans un dossier vide, avec les
            versions du cours (`pip install {pins}`). Les runs et le registre vont dans
            `mlflow.db`, dans le dossier du notebook.
            """),
        nbformat.v4.new_code_cell("%matplotlib inline"),
        markdown("## Le code des pages locales : données, modèle, métriques, balayage"),
        *[
            code(*group_sections(group))
            for group in ["data", "first-run", "metrics", "logged-model", "sweep"]
        ],
    ]
    for page, text in FURTHER_PAGES.items():
        cells += [markdown(text), *page_cells(page)]
    cells.append(
        markdown("""
            Ouvrez maintenant le Tracking UI (`mlflow ui` dans le dossier du notebook) :
            l'expérience `reglage-svm` montre l'étude et ses essais, et **Model registry**
            le modèle enregistré avec ses alias.
            """)
    )
    return cells


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
        nbformat.v4.new_code_cell(f"%pip install {versions('mlflow', 'scikit-learn')}"),
        code("notebooks.py:restart"),
        markdown("## Le code du cours : données, modèle, métriques, balayage"),
        *[
            code(*group_sections(group))
            for group in ["data", "first-run", "metrics", "logged-model", "sweep"]
        ],
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


def build(output):
    """Écrit les notebooks dans output ; renvoie leurs chemins."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    paths = []
    builders = [local_cells, databricks_cells, further_cells]
    for name, cells in zip(NAMES, [build() for build in builders], strict=True):
        path = output / f"{name}.ipynb"
        path.write_text(nbformat.writes(notebook(cells, name)) + "\n")
        paths.append(path)
    return paths


def main(argv=None):
    parser = command_line(__spec__, "Construit les notebooks du cours.")
    parser.add_argument("--output", type=Path, default=Path("notebooks"))
    for path in build(parser.parse_args(argv).output):
        print(f"Notebook écrit : {path}")


if __name__ == "__main__":
    main()
