"""Ce qui exécute le code du cours pour la génération, comme un apprenant : les blocs d'une page
collés dans l'ordre dans une même session, un notebook exécuté de haut en bas par un vrai noyau
Jupyter, chacun dans un dossier vide (cours-mlflow/), dans l'environnement d'un apprenant (sans
les outils des mainteneurs) ; et de quoi relire ensuite le magasin qu'ils ont rempli.
"""

import contextlib
import io
import os
import runpy
import tempfile
from pathlib import Path

from tooling import ROOT
from tooling.sections import python_blocks
from tooling.servers.processes import learner_environment
from tooling.website.maintainer_tools import HIDDEN_DIR
from tooling.website.notebook_builder import FURTHER_PAGES, LOCAL_PAGES

WORKDIR = "cours-mlflow"  # le dossier de l'apprenant ; son chemin paraît dans le vrai MLmodel
BASE_ENV = dict(os.environ)


def output_name(page):
    """Ce qu'affiche une page, au nom de l'étape qui l'exécute : local_<module>.txt pour une
    page locale (l'étape local, qui en fait le notebook local), further_<module>.txt pour une
    page « Aller plus loin » (l'étape further, son notebook), <module>.txt pour une page
    exécutée seule, par l'étape qui porte le nom de son module."""
    module = Path(page).stem.replace("-", "_")
    if page in LOCAL_PAGES:
        return f"local_{module}.txt"
    return f"further_{module}.txt" if page in FURTHER_PAGES else f"{module}.txt"


def page_outputs(notebook, out):
    """Ce qu'affiche chaque page d'un notebook exécuté, dans out/<output_name(page)> : la
    sortie standard de ses cellules (marquées course_page par notebook_builder)."""
    import nbformat

    printed = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if page := cell.get("metadata", {}).get("course_page"):
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            printed[page] = printed.get(page, "") + text
    for page, text in printed.items():
        (out / output_name(page)).write_text(text)


def store_uri(folder):
    return f"sqlite:///{Path(folder) / 'mlflow.db'}"


def experiments(client):
    """Les identifiants des expériences d'un magasin, sauf Default (vide dans le cours)."""
    return [e.experiment_id for e in client.search_experiments() if e.name != "Default"]


@contextlib.contextmanager
def tracking(folder):
    import mlflow

    mlflow.set_tracking_uri(store_uri(folder))
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)


_notebooks = {}


def built_notebook(name):
    """Le texte d'un notebook construit à partir des pages et des sections (sans sorties)."""
    if name not in _notebooks:
        from tooling.website import notebook_builder

        with tempfile.TemporaryDirectory() as folder:
            for path in notebook_builder.build(folder):
                _notebooks[path.stem] = path.read_text()
    return _notebooks[name]


def forget_notebooks():
    """Oublie les notebooks construits : mkdocs serve garde ce module d'une construction à
    l'autre, et les pages ont pu changer entre-temps."""
    _notebooks.clear()


def as_a_learner(out):
    """Dans un processus de travail : son journal dans out/step.log, l'environnement d'un
    apprenant (sans les outils des mainteneurs), des figures sans écran."""
    log = open(out / "step.log", "ab")  # noqa: SIM115 (le processus s'arrête après l'étape)
    os.dup2(log.fileno(), 1)  # ce qu'écrivent MLflow et ses sous-processus
    os.dup2(log.fileno(), 2)
    os.environ.clear()
    os.environ.update(learner_environment(BASE_ENV, PYTHONPATH=str(HIDDEN_DIR)))
    runpy.run_path(str(HIDDEN_DIR / "sitecustomize.py"))  # et dans ce processus-ci
    import matplotlib

    matplotlib.use("Agg")


def run_page(page, out):
    """Dans un processus de travail : les blocs de la page, collés dans l'ordre dans une même
    session, dans un dossier vide (out/cours-mlflow) ; ce qu'ils affichent va dans
    out/<output_name(page)>."""
    out = Path(out)
    folder = out / WORKDIR
    folder.mkdir(parents=True)
    as_a_learner(out)
    os.chdir(folder)
    code = "\n\n".join(python_blocks(ROOT / "docs" / page))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(ROOT / "docs" / page), "exec"), {"__name__": "__main__"})
    (out / output_name(page)).write_text(printed.getvalue())


def run_notebook(name, out, execute):
    """Le notebook name, écrit dans out/notebooks/ ; execute : exécuté d'abord de haut en bas
    par un vrai noyau Jupyter, dans un dossier vide (out/cours-mlflow)."""
    import nbformat
    from nbclient import NotebookClient

    folder = out / WORKDIR
    folder.mkdir(parents=True)
    notebook = nbformat.reads(built_notebook(name), as_version=4)
    if execute:
        env = learner_environment(BASE_ENV, PYTHONPATH=str(HIDDEN_DIR))
        env.pop("MPLBACKEND")  # le noyau affiche les figures dans le notebook
        client = NotebookClient(
            notebook, timeout=600, resources={"metadata": {"path": str(folder)}}
        )
        with open(out / "step.log", "wb") as log:  # ce que le noyau écrit lui-même
            client.execute(env=env, stdout=log, stderr=log)
        # Comme la sortie des pages : ce qu'affiche le code, sans les avertissements.
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    (out / "notebooks").mkdir()
    nbformat.write(notebook, out / "notebooks" / f"{name}.ipynb")
