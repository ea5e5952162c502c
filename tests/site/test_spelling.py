"""French spelling of the pages, the README, the maintainers guide and the notebooks' text,
with the system's hunspell (French dictionary, and the English one for MLflow's UI labels)
and the project's word list."""

import os
import re
import shutil
import subprocess
import tempfile

import nbformat
import pytest
from helpers import ROOT

from tooling.sections import written_pages
from tooling.website import notebook_builder as notebooks

WORDLIST = ROOT / "tests" / "site" / "spelling_wordlist.txt"
HELP = (
    "hunspell et son dictionnaire français sont introuvables. Installez-les depuis les paquets "
    "du système (Debian, Ubuntu : sudo apt-get install -y hunspell hunspell-fr hunspell-en-us)."
)
ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.I)
WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœÆæ]+(?:['’-][A-Za-zÀ-ÖØ-öø-ÿŒœÆæ]+)*")


def prose(markdown):
    """The words a reader reads: no code, no addresses, no link targets, no markup."""
    lines, in_fence = [], False
    for line in markdown.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        if in_fence or line.lstrip().startswith("--8<--"):
            continue
        line = re.sub(r"^\s*(!!!|\?\?\?\+?)\s+\S+", " ", line)  # admonition type, not title
        line = re.sub(r"`[^`]*`", " ", line)
        line = re.sub(r"\{\{ version:[^}]*\}\}", " ", line)  # a version, filled in at build
        line = re.sub(r"<https?://[^>]*>|https?://\S+", " ", line)
        line = re.sub(r"\]\([^)]*\)", "]", line)
        line = re.sub(r"<[^>]+>", " ", line)
        line = re.sub(r"\+\+\S+?\+\+", " ", line)  # keys: ++ctrl+c++
        lines.append(line)
    return "\n".join(lines)


def words(text):
    return {ELISION.sub("", word) for word in WORD.findall(prose(text))}


def texts():
    """Each text of the course, by name: pages, README, MAINTAINERS.md, the notebooks'
    Markdown cells."""
    found = {str(p.relative_to(ROOT)): p.read_text() for p in written_pages()}
    for guide in ["README.md", "MAINTAINERS.md"]:
        found[guide] = (ROOT / guide).read_text()
    with tempfile.TemporaryDirectory() as folder:
        for path in notebooks.build(folder):
            notebook = nbformat.read(path, as_version=4)
            cells = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
            found[f"notebook {path.name}"] = "\n\n".join(cells)
    return found


def unknown(candidates):
    hunspell = shutil.which("hunspell")
    if hunspell is None:
        if os.environ.get("CI") == "true":
            pytest.fail(HELP)
        pytest.skip(HELP)
    result = subprocess.run(
        [hunspell, "-d", "fr_FR,en_US", "-p", str(WORDLIST), "-l"],
        input="\n".join(sorted(candidates)),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def test_every_text_is_spelled_correctly():
    misspelled = {}
    for name, text in texts().items():
        for word in unknown(words(text)):
            misspelled.setdefault(word, []).append(name)
    assert misspelled == {}, "mots inconnus (corrigez-les, ou ajoutez un terme technique à "
    f"{WORDLIST.name}) : {misspelled}"


def test_the_check_catches_misspellings():
    text = "La sensibilitée du modèle et son exactitudde, avec `du_code_ignoré`."
    assert unknown(words(text)) == {"sensibilitée", "exactitudde"}


def test_the_word_list_is_sorted_and_every_word_is_used():
    listed = WORDLIST.read_text().split()
    assert listed == sorted(set(listed), key=str.lower)
    used = set().union(*(words(text) for text in texts().values()))
    assert [word for word in listed if word not in used] == []
