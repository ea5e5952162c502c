"""Le lecteur des sections nommées (# --8<-- [start:nom]) : celui de pymdownx.snippets, qui
les inclut dans les pages ; les notebooks, la génération et les tests le partagent."""

import re
import textwrap

import markdown

from tooling import ROOT

ANNOTATION = re.compile(r"  # \(\d+\)!")  # les marqueurs des annotations de code des pages
GENERATED_INCLUDE = re.compile(r'^[ \t]*--8<-- "(?!snippets/|docs/includes/)[^"]*"$', re.M)
PREVIOUS_INCLUDE = re.compile(r'^--8<-- "docs/includes/previous/[^"]*"$', re.M)
PYTHON_FENCE = re.compile(r"^([ \t]*)```python([^\n]*)\n(.*?)^\1```[ \t]*$", re.M | re.S)
# Un bloc titré par un nom de fichier (title="requete.py") est un script que l'apprenant
# enregistre et lance à part (dans un second terminal) : il n'est pas de la session.
SCRIPT_TITLE = re.compile(r'title="[^"]+\.py"')


def expand(text, check_paths=True):
    """Le texte avec ses lignes --8<-- remplacées par ce qu'elles incluent, comme sur le site."""
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={
            "pymdownx.snippets": {
                "base_path": [str(ROOT)],
                "check_paths": check_paths,
                "dedent_subsections": True,
            }
        },
    )
    return "\n".join(md.preprocessors["snippet"].run(text.split("\n")))


def section(reference):
    """Une section, « fichier:nom » sous snippets/, sans ses marqueurs d'annotation."""
    code = expand(f'--8<-- "snippets/{reference}"')
    return ANNOTATION.sub("", code).strip("\n")


def python_blocks(page, own=False):
    """Les blocs Python d'une page, dans l'ordre, tels que le site les montre, sans les
    scripts à enregistrer à part ; own=True : sans le bloc « Code des pages précédentes »."""
    # Les sorties générées (local_data.txt, local_MLmodel…) n'existent pas forcément encore : seules
    # les inclusions du code et des blocs communs des pages comptent ici.
    text = GENERATED_INCLUDE.sub("", page.read_text())
    if own:
        text = PREVIOUS_INCLUDE.sub("", text)
    expanded = expand(text)
    return [
        textwrap.dedent(match[3])
        for match in PYTHON_FENCE.finditer(expanded)
        if not SCRIPT_TITLE.search(match[2])
    ]


def written_pages():
    """Les pages écrites à la main, sous docs/ : sans docs/generated/, que la génération
    remplit (les notebooks y sont des pages)."""
    docs = ROOT / "docs"
    return sorted(
        page for page in docs.rglob("*.md") if "generated" not in page.relative_to(docs).parts
    )
