"""The house rules: snippets/ holds the course alone, and a page leads to its code and its
test by name (the rule the README gives)."""

import ast
import re

import pytest
from helpers import ROOT

from tooling.sections import python_blocks
from tooling.versions import pinned

SNIPPETS = ROOT / "snippets"
DOCS = ROOT / "docs"
# What the course's code never imports: the site's machinery, the tests, browsers, notebooks.
FORBIDDEN = {"tooling", "tests", "hooks", "helpers", "conftest", "playwright"}
FORBIDDEN |= {"axe_playwright_python", "nbformat", "nbclient", "mkdocs", "pymdownx", "pytest"}


def modules():
    return sorted(path for path in SNIPPETS.iterdir() if path.suffix in {".py", ".sh", ".ini"})


def imported(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def pages_with_code():
    """Pages (not the blocks they share) that show code: Python, or a file of snippets/."""
    for page in sorted(DOCS.rglob("*.md")):
        if "includes" in page.relative_to(DOCS).parts:
            continue
        own = [line for line in page.read_text().splitlines() if "snippets/" in line]
        if python_blocks(page) or any(line.strip().startswith("--8<--") for line in own):
            yield page


def module_name(page):
    return page.stem.replace("-", "_")


@pytest.mark.parametrize("path", modules(), ids=lambda path: path.name)
def test_the_course_imports_none_of_the_site_machinery(path):
    if path.suffix == ".py":
        assert set(imported(path)) & FORBIDDEN == set()


def test_each_page_with_code_leads_to_its_module_by_name():
    names = {path.stem for path in modules()}
    pages = list(pages_with_code())
    assert len(pages) >= 12
    assert [page.name for page in pages if module_name(page) not in names] == []


@pytest.mark.parametrize("path", modules(), ids=lambda path: path.name)
def test_each_module_leads_to_its_test_by_name(path):
    if path.name == "__init__.py":
        return
    test = ROOT / "tests" / f"test_{path.stem}.py"
    assert test.exists(), test.name
    if path.suffix != ".py":  # a command or a configuration file: its test runs it by name
        assert f"{path.name}:" in test.read_text() or f'"{path.name}"' in test.read_text()


@pytest.mark.parametrize("path", modules(), ids=lambda path: path.name)
def test_every_module_is_shown_by_a_page_or_is_a_command_a_page_names(path):
    if path.name == "__init__.py":
        return
    pages = "\n".join(page.read_text() for page in DOCS.rglob("*.md"))
    shown = f"snippets/{path.name}" in pages
    command = f"python -m snippets.{path.stem}" in pages
    # The cells of the two notebooks (notebooks/ on the site) that no page shows.
    builder = (ROOT / "tooling" / "website" / "notebook_builder.py").read_text()
    in_notebooks = path.name == "notebooks.py" and '"notebooks.py:' in builder
    assert shown or command or in_notebooks, path.name


def test_each_version_is_written_in_one_place():
    learner = pinned()
    dev = {
        re.split(r"[=\[]", line)[0].lower()
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert learner and dev and learner.keys() & dev == set()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dependencies = { file = ["requirements.txt"] }' in pyproject
    assert not re.search(r"==\d", pyproject.replace("setuptools==", ""))
