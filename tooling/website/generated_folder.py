"""docs/generated/ : tout ce que les pages montrent de la génération, dans un seul dossier
ignoré de git, que mkdocs.yml nomme lui-même (pymdownx.snippets inclut generated/outputs/,
le site sert le reste). Aucune hook n'est nécessaire pour construire le site une fois ce dossier
rempli : python -m tooling.generate le remplit, mkdocs build le lit.

- outputs/ : les sorties des pages (local_data.txt…), le vrai MLmodel, l'encadré du polycopié ;
- figures/ : les figures tirées des runs ;
- images/ : les captures du Tracking UI (copiées d'Images/) ;
- notebooks/ : chaque notebook exécuté, en page (<nom>.md, ses figures dans <nom>_files/) et en
  téléchargement (<nom>.ipynb) ;
- polycopie.pdf, quand COURSE_POLYCOPIE le désigne.

Une étape qui n'est pas encore prête y a des remplaçants, aux mêmes noms, qui le disent
(stand_ins) ; publish y met ses vrais fichiers. On n'écrit un fichier que s'il change :
mkdocs serve reconstruit le site à chaque écriture dans docs/.
"""

import io
import os
import shutil
from pathlib import Path

from tooling import ROOT
from tooling.website import notebook_page, runner

GENERATED = ROOT / "docs" / "generated"
OUTPUTS = GENERATED / "outputs"
STAND_INS = ROOT / ".cache" / "stand-ins"  # les images des remplaçants, faites une fois
POLYCOPIE = "COURSE_POLYCOPIE"
POLYCOPIE_BOX = """!!! tip "Le cours en un seul PDF"
    Le [polycopié](generated/polycopie.pdf) réunit toutes les pages du cours, dans l'ordre du
    site, avec leurs figures, leurs captures d'écran et les solutions des exercices.
    Imprimez-le, ou lisez-le hors ligne.
"""

BOX = "polycopie_box.md"  # l'encadré du polycopié, que la page d'accueil inclut
COMING = "coming"  # l'étape tourne : la page se rechargera d'elle-même
FAILED = "failed"  # l'étape a échoué : le terminal dit pourquoi


class PolycopieMissing(Exception):
    pass


def destination(output, into=GENERATED):
    """Où va, sous docs/generated/ (into), une sortie d'étape (nommée comme dans
    Step.outputs)."""
    if output.endswith(".png"):
        return into / "figures" / output
    if output.endswith(".ipynb"):
        return into / output  # notebooks/<nom>.ipynb
    return into / OUTPUTS.relative_to(GENERATED) / output


def write(path, data):
    """Écrit data (octets) dans path s'il change, d'un seul coup ; True s'il a changé."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partiel")  # un par processus
    partial.write_bytes(data)
    os.replace(partial, path)
    return True


def write_notebook(ipynb, data):
    """Le notebook à télécharger, et sa page à côté (avec ses figures)."""
    write(ipynb, data)
    name = ipynb.stem
    text, images = notebook_page.page(ipynb, name)
    for relative, image in images.items():
        write(ipynb.parent / relative, image)
    write(ipynb.with_suffix(".md"), text.encode())


def publish(step, folder, into=GENERATED):
    """Les vrais fichiers de step, pris dans son dossier de génération."""
    for output in step.outputs:
        data = (Path(folder) / output).read_bytes()
        if output.endswith(".ipynb"):
            write_notebook(destination(output, into), data)
        else:
            write(destination(output, into), data)


def stand_in_text(step, state):
    if state == COMING:
        return (
            f"(À venir : l'étape « {step} » de la génération du site est en cours ; cette "
            "sortie paraîtra ici d'elle-même, la page se recharge quand elle est prête.)"
        )
    if state == FAILED:
        return (
            f"(L'étape « {step} » de la génération du site a échoué : cette sortie manque. "
            "Le terminal de mkdocs serve dit pourquoi.)"
        )
    return f"(sortie non générée : {state})"


def stand_in_image(step, state):
    """Une image qui dit ce qu'elle remplace, faite une fois par étape et par état."""
    path = STAND_INS / f"{step}-{state.replace('=', '-')}.png"
    if not path.exists():
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6, 1.6), edgecolor="#90a4ae", linewidth=2)
        figure.text(
            0.5, 0.5,
            stand_in_text(step, state).strip("()").replace("cette sortie", "cette figure")
            .replace(" ; ", " ;\n", 1).replace(" : ", " :\n", 1),
            ha="center", va="center", wrap=True, fontsize=10, color="#37474f",
        )  # fmt: skip
        image = io.BytesIO()
        figure.savefig(image, format="png", dpi=100)
        write(path, image.getvalue())  # d'un seul coup : un autre processus peut la lire
    return path.read_bytes()


def stand_in_notebook(step, name, state, into=GENERATED):
    """La page d'un notebook pas encore exécuté, et le notebook sans sorties à télécharger."""
    text = stand_in_text(step, state).strip("()")
    write(into / "notebooks" / f"{name}.ipynb", runner.built_notebook(name).encode())
    page = (
        f'!!! info "Ce notebook n\'est pas encore exécuté"\n    {text}\n\n'
        f"[Le notebook, sans ses sorties]({name}.ipynb)\n"
    )
    write(into / "notebooks" / f"{name}.md", page.encode())


def stand_ins(step, state, into=GENERATED):
    """Des remplaçants de chaque fichier de step, qui disent pourquoi (COMING, FAILED, ou la
    raison d'un site construit sans runs)."""
    for output in step.outputs:
        if output.endswith(".png"):
            write(destination(output, into), stand_in_image(step.name, state))
        elif output.endswith(".ipynb"):
            stand_in_notebook(step.name, Path(output).stem, state, into)
        else:
            text = stand_in_text(step.name, state) + "\n"
            write(destination(output, into), text.encode())


def polycopie():
    """Le PDF que COURSE_POLYCOPIE désigne, ou None sans la variable."""
    value = os.environ.get(POLYCOPIE)
    if not value:
        return None
    path = Path(value).resolve()
    if not path.is_file():
        raise PolycopieMissing(f"{POLYCOPIE}={value} : ce fichier n'existe pas.")
    return path


def publish_common():
    """Ce qui ne vient d'aucune étape : les captures d'Images/, le polycopié et son encadré.
    PolycopieMissing si COURSE_POLYCOPIE désigne un fichier absent."""
    pdf = polycopie()
    screenshots = sorted((ROOT / "Images").glob("*.png"))
    for path in screenshots:
        write(GENERATED / "images" / path.name, path.read_bytes())
    names = {path.name for path in screenshots}
    for old in (GENERATED / "images").glob("*.png"):
        if old.name not in names:
            old.unlink()
    write(OUTPUTS / BOX, (POLYCOPIE_BOX if pdf else "").encode())
    if pdf:
        write(GENERATED / "polycopie.pdf", pdf.read_bytes())
    elif (GENERATED / "polycopie.pdf").exists():
        (GENERATED / "polycopie.pdf").unlink()


def clear():
    shutil.rmtree(GENERATED, ignore_errors=True)
