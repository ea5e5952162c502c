"""Un notebook exécuté, fait page du site : ses cellules Markdown telles quelles, son code dans
des blocs Python, ses sorties dans des blocs de texte et ses figures en images, avec un bouton
pour télécharger le .ipynb lui-même, publié à côté. Du Markdown ordinaire, que tout moteur
qui lit le Markdown de Python construit, sans greffon.
"""

import base64
import re

import nbformat

DOWNLOAD = (
    "[:material-download: Télécharger le notebook]({name}.ipynb)"
    '{{ .md-button download="{name}.ipynb" title="Télécharger le notebook" }}'
)


def fenced(text, language):
    """text dans un bloc délimité par plus d'accents graves qu'il n'en contient à la suite."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def outputs(cell, number, name):
    """Les morceaux de page des sorties d'une cellule, et les images qu'ils montrent."""
    parts, images = [], {}
    for index, output in enumerate(cell.get("outputs", [])):
        if output.output_type == "stream":
            parts.append(fenced(output.text, "text"))
            continue
        data = output.get("data", {})
        if "image/png" in data:
            image = f"{name}_files/cellule_{number}_{index}.png"
            images[image] = base64.b64decode(data["image/png"])
            parts.append(f"![Figure de la cellule {number}]({image})")
        elif "text/html" in data:  # un tableau : du HTML brut, sans ligne vide qui le coupe
            html = "".join(data["text/html"])
            parts.append("\n".join(line for line in html.splitlines() if line.strip()))
        elif "text/plain" in data:
            parts.append(fenced("".join(data["text/plain"]), "text"))
    return parts, images


def page(path, name):
    """(Markdown de la page, {chemin relatif: octets des images}) du notebook path."""
    notebook = nbformat.read(path, as_version=4)
    parts, images, button = [], {}, DOWNLOAD.format(name=name)
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type == "markdown":
            parts.append(cell.source.strip())
            if button and cell.source.lstrip().startswith("# "):
                parts.append(button)  # sous le titre du notebook
                button = None
        elif cell.cell_type == "code" and cell.source.strip():
            parts.append(fenced(cell.source, "python"))
            shown, found = outputs(cell, number, name)
            parts.extend(shown)
            images.update(found)
    if button:
        parts.insert(0, button)
    return "\n\n".join(parts) + "\n", images
