"""Build-time material from real MLflow runs: figures, the real MLmodel and the commands' output.

As an MkDocs hook, it runs this file as a script in a throw-away folder (its own tracking store),
then adds the results to the site, with the Tracking UI screenshots of Images/. Results are
cached under .cache/generated/<hash>, where the hash covers the snippets, this file and the
installed versions, so `mkdocs serve` reruns nothing until one of them changes.
"""

import contextlib
import hashlib
import importlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "generated"
VERSIONED = ("mlflow", "scikit-learn", "matplotlib", "pandas", "numpy")
FEATURES = ["mean radius", "mean texture", "mean concave points", "worst area"]
NOTEBOOKS = ROOT / "docs" / "notebooks"
EXECUTED = ["cours-local.ipynb"]  # exécuté à la construction ; Databricks : code seul
# Les commandes dont les pages montrent la sortie (output_<nom>.txt), et les figures.
OUTPUTS = ["data", "first_run", "metrics", "logged_model", "sweep", "algorithms", "autolog"]
FIGURES = [
    "algorithmes.png",
    "metriques_selon_C.png",
    "sensibilite_C_gamma.png",
    "equilibre_classes.png",
    "distributions.png",
    "matrice_confusion.png",
]
# COURSE_REAL_RUNS=0 : construction sans aucun run, avec des textes et images de remplacement
# (pour mesurer ce que coûte la construction elle-même ; jamais pour publier).
SWITCH = "COURSE_REAL_RUNS"

_generated_dir = None
log = logging.getLogger("mkdocs.hooks.real_runs")


def inputs_hash():
    digest = hashlib.sha256()
    inputs = sorted((ROOT / "snippets").glob("*.py")) + sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in inputs + [Path(__file__).resolve()]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for name in VERSIONED:
        digest.update(f"{name}=={metadata.version(name)}".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def placeholders():
    """Stand-ins with the generated files' names, made without running anything."""
    out = CACHE.parent / "placeholders"
    shutil.rmtree(out, ignore_errors=True)
    (out / "notebooks").mkdir(parents=True)
    for name in OUTPUTS:
        (out / f"output_{name}.txt").write_text(f"(sortie non générée : {SWITCH}=0)\n")
    (out / "MLmodel").write_text(f"# MLmodel non généré : {SWITCH}=0\n")
    stand_in = sorted((ROOT / "Images").glob("*.png"))[0]
    for name in FIGURES:
        shutil.copy(stand_in, out / name)
    for name in EXECUTED:
        shutil.copy(NOTEBOOKS / name, out / "notebooks" / name)
    return out


def generated_dir():
    """The folder holding this build's material, produced first if the cache lacks it."""
    if os.environ.get(SWITCH) == "0":
        log.info("%s=0 : aucun run réel, figures et sorties remplacées.", SWITCH)
        return placeholders()
    out = CACHE / inputs_hash()
    if (out / "DONE").exists():
        return out
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.update(PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory() as parent:
        # A folder named as a learner's would be, since its path appears in the real MLmodel.
        workdir = Path(parent, "cours-mlflow")
        workdir.mkdir()
        log.info("Runs MLflow réels pour les figures du site (mis en cache ensuite)…")
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(partial)],
            cwd=workdir,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if result.returncode != 0:
            raise PluginError(f"La génération des figures a échoué :\n{result.stderr[-4000:]}")
    (partial / "DONE").touch()
    for old in CACHE.iterdir():
        if old != partial:
            shutil.rmtree(old, ignore_errors=True)
    partial.rename(out)
    return out


def on_config(config):
    global _generated_dir
    _generated_dir = generated_dir()
    # The pages include the generated text (outputs, MLmodel) with pymdownx.snippets.
    # Absolute paths, so that the site also builds when mkdocs runs from another folder.
    snippets_config = config.mdx_configs.setdefault("pymdownx.snippets", {})
    snippets_config["base_path"] = [str(ROOT), str(_generated_dir)]
    return config


def on_files(files, config):
    from mkdocs.structure.files import File

    for image in sorted(_generated_dir.glob("*.png")):
        files.append(File.generated(config, f"figures/{image.name}", abs_src_path=str(image)))
    # Le notebook local, rendu par mkdocs-jupyter avec les sorties de son exécution.
    for file in files:
        if file.src_uri in {f"notebooks/{name}" for name in EXECUTED}:
            file.abs_src_path = str(_generated_dir / file.src_uri)
    # Les captures d'écran du Tracking UI (python -m snippets.ui_tour), versionnées dans Images/.
    for image in sorted((ROOT / "Images").glob("*.png")):
        files.append(File.generated(config, f"images/{image.name}", abs_src_path=str(image)))
    return files


def save(figure, path):
    import matplotlib.pyplot as plt

    figure.savefig(path, dpi=110)
    plt.close(figure)


def captured(function):
    """What a command of the course prints, as the learner sees it."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        function()
    return buffer.getvalue()


def generate(out):
    """Runs the course's commands in the current folder and writes what the pages show into out."""
    import mlflow
    from sklearn.datasets import load_breast_cancer

    from snippets import algorithms, first_run, plots, sweep

    for name in OUTPUTS:
        command = importlib.import_module(f"snippets.{name}")
        (out / f"output_{name}.txt").write_text(captured(command.main))

    families = mlflow.search_runs(experiment_names=[algorithms.ALGORITHMS_EXPERIMENT])
    save(plots.plot_families(families), out / "algorithmes.png")
    mlflow.set_experiment(first_run.EXPERIMENT_NAME)  # les figures suivantes : le balayage
    runs = sweep.sweep_runs()
    save(plots.plot_metrics_vs_c(runs), out / "metriques_selon_C.png")
    save(plots.plot_heatmap(runs, "sensitivity"), out / "sensibilite_C_gamma.png")
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    save(plots.plot_class_balance(target), out / "equilibre_classes.png")
    save(
        plots.plot_feature_distributions(features, target, FEATURES),
        out / "distributions.png",
    )

    # The real MLmodel of the « Le modèle MLflow » page, and the artifact of « Sept métriques ».
    experiment = mlflow.get_experiment_by_name(first_run.EXPERIMENT_NAME)
    page_model = mlflow.search_logged_models(
        experiment_ids=[experiment.experiment_id],
        order_by=[{"field_name": "creation_time", "ascending": True}],
        output_format="list",
    )[0]
    model_dir = Path(mlflow.artifacts.download_artifacts(f"models:/{page_model.model_id}"))
    shutil.copy(model_dir / "MLmodel", out / "MLmodel")
    metrics_run = mlflow.search_runs(
        experiment_ids=[experiment.experiment_id],
        filter_string="attributes.run_name = 'sept-metriques'",
        output_format="list",
    )[0]
    matrix = mlflow.artifacts.download_artifacts(
        run_id=metrics_run.info.run_id,
        artifact_path="confusion_matrix.png",
        dst_path=str(out),
    )
    Path(matrix).rename(out / "matrice_confusion.png")

    execute_notebooks(out / "notebooks")


def execute_notebooks(out):
    """Exécute les notebooks de EXECUTED de haut en bas, chacun dans un dossier vide."""
    import nbformat
    from nbclient import NotebookClient

    # Le noyau hérite de cet environnement : figures affichées, sans le paquet du cours.
    for name in ("MPLBACKEND", "PYTHONPATH"):
        os.environ.pop(name, None)
    out.mkdir()
    for name in EXECUTED:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        with tempfile.TemporaryDirectory() as parent:
            folder = Path(parent, "cours-mlflow")
            folder.mkdir()
            client = NotebookClient(
                notebook, timeout=600, resources={"metadata": {"path": str(folder)}}
            )
            client.execute()
            # Ce que l'exécution a enregistré, relu par les tests (les métadonnées seules :
            # les artefacts restent dans le dossier jetable).
            stores = out.parent / "stores"
            stores.mkdir(exist_ok=True)
            shutil.copy(folder / "mlflow.db", stores / f"{Path(name).stem}.db")
        # Comme les sorties des pages : stdout seulement, sans les avertissements de stderr.
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
        nbformat.write(notebook, out / name)


if __name__ == "__main__":
    generate(Path(sys.argv[1]))
