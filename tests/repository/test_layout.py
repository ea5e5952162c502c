"""The house rules: snippets/ holds the course alone, its top level what the pages show, and
a page leads by name to its code, its check, its test and its build steps, as the table of
MAINTAINERS.md says, for every page of the navigation."""

import ast
import re

import pytest
import yaml
from helpers import ROOT

from tooling.versions import pinned
from tooling.website.steps import STEPS

SNIPPETS = ROOT / "snippets"
DOCS = ROOT / "docs"
NONE = "—"
# Each column's cells are paths under the folder its header names.
COLUMNS = {
    "Page": "docs/",
    "Code": "snippets/",
    "Vérification": "snippets/verifier/checks/",
    "Test": "tests/",
    "Étapes de construction": "tooling/website/steps/",
}
# What the course's code never imports: the site's machinery, the tests, browsers, notebooks.
FORBIDDEN = {"tooling", "tests", "hooks", "helpers", "conftest", "playwright"}
FORBIDDEN |= {"axe_playwright_python", "nbformat", "nbclient", "mkdocs", "pymdownx", "pytest"}
MAX_LINES = 500


def shown_files():
    """The top level of snippets/: the files pages include (Python, commands, configuration)."""
    return sorted(p for p in SNIPPETS.iterdir() if p.suffix in {".py", ".sh", ".ini"})


def python_modules():
    return sorted(
        path
        for folder in ("snippets", "tooling", "hooks")
        for path in (ROOT / folder).rglob("*.py")
    )


def nav_pages():
    """The pages of mkdocs.yml's navigation, in order (docs/ paths)."""
    text = (ROOT / "mkdocs.yml").read_text()
    nav = yaml.safe_load("nav:" + text.split("\nnav:", 1)[1].split("\n\n", 1)[0])["nav"]

    def walk(entries):
        for entry in entries:
            for value in entry.values():
                yield from walk(value) if isinstance(value, list) else [value]

    return list(walk(nav))


def included(page):
    """The files a page includes, without its sections: --8<-- "path:section"."""
    return set(re.findall(r'^\s*--8<-- "([^":]+)', (DOCS / page).read_text(), re.M))


def code(path):
    return f"`{path}`"


def step_output(link):
    """The step output a link into docs/generated/ shows (a notebook's page or download is
    its notebook, a figure its file)."""
    path = re.sub(r"^(\.\./)*generated/", "", link)
    path = re.sub(r"^notebooks/([\w-]+)\.md$", r"notebooks/\1.ipynb", path)
    return path.removeprefix("figures/")


def expected_row(page):
    """The row the naming rule gives for a page: its name, dashes as underscores, names its
    code (snippets/<name>.py, .sh, .ini, or the package snippets/<name>/), its check, its
    test; its build steps are those whose outputs it includes. A notebook is built from the
    cells of snippets/notebooks.py and tested by tests/tooling/test_notebooks.py."""
    name = page.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", "_")
    outputs = {output: step.name for step in STEPS for output in step.outputs}
    if page.startswith("generated/notebooks/"):
        shown = ["notebooks.py"]
        tests = ["tooling/test_notebooks.py"]
        steps = {outputs[step_output(page)]}
    else:
        shown = [p.name for p in shown_files() if p.stem == name]
        shown += [f"{name}/"] if (SNIPPETS / name / "__init__.py").is_file() else []
        tests = [f"pages/test_{name}.py"] * (ROOT / "tests/pages" / f"test_{name}.py").is_file()
        text = (DOCS / page).read_text()
        steps = {outputs[path] for path in included(page) if path in outputs}
        links = {step_output(path) for path in re.findall(r"\]\(([^)#\s]+)", text)}
        steps |= {outputs[path] for path in links if path in outputs}
    checks = [f"{name}.py"] * (SNIPPETS / "verifier" / "checks" / f"{name}.py").is_file()
    step_files = [f"{step}_step.py" for step in sorted(steps)]
    cells = [shown, checks, tests, step_files]
    return [code(page)] + [", ".join(map(code, cell)) or NONE for cell in cells]


def paths(row):
    """The files a row names, from the repository's root."""
    for folder, cell in zip(COLUMNS.values(), row, strict=True):
        yield from (folder + name for name in re.findall(r"`([^`]+)`", cell))


def table():
    """The page table of MAINTAINERS.md: its header and its rows, cell by cell."""
    lines = (ROOT / "MAINTAINERS.md").read_text().splitlines()
    header = " | ".join(f"{name} ({folder})" for name, folder in COLUMNS.items())
    start = lines.index(f"| {header} |")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_table_has_one_row_per_page_of_the_navigation_in_its_order():
    pages = nav_pages()
    assert len(pages) >= 25
    assert [row[0] for row in table()] == [code(page) for page in pages]


@pytest.mark.parametrize("page", nav_pages())
def test_each_page_leads_by_name_to_its_code_check_test_and_steps(page):
    row = next(row for row in table() if row[0] == code(page))
    assert row == expected_row(page)
    generated = {f"docs/{output}" for step in STEPS for output in step.outputs}
    for path in paths(row):
        assert (ROOT / path).exists() or path in generated, path


def test_every_check_test_and_step_is_in_the_table():
    listed = {path for row in table() for path in paths(row)}
    for folder in ["snippets/verifier/checks", "tooling/website/steps", "tests/pages"]:
        found = {f"{folder}/{p.name}" for p in (ROOT / folder).glob("*.py")}
        # tests/pages/test_pages.py pastes every local page; the others test a module of
        # snippets/ that several pages show (cli.py, train.py).
        found -= {f"{folder}/__init__.py", "tests/pages/test_pages.py"}
        found -= {f"tests/pages/test_{p.stem}.py" for p in shown_files()}
        assert found <= listed, folder


@pytest.mark.parametrize("path", shown_files(), ids=lambda path: path.name)
def test_every_top_level_file_of_snippets_is_included_by_a_page(path):
    if path.name == "__init__.py":
        return
    assert any(
        f"snippets/{path.name}" in included(page) for page in nav_pages() if page.endswith(".md")
    )


@pytest.mark.parametrize("path", shown_files(), ids=lambda path: path.name)
def test_each_file_of_snippets_leads_to_its_test_by_name(path):
    if path.name == "__init__.py":
        return
    tests = sorted(ROOT.glob(f"tests/*/test_{path.stem}.py"))
    assert len(tests) == 1, path.name
    if path.suffix != ".py":  # a command or a configuration file: its test runs it by name
        assert f"{path.name}:" in tests[0].read_text() or f'"{path.name}"' in tests[0].read_text()


def test_each_package_of_snippets_leads_to_its_tests_by_name():
    """A package is tested by the test of the page that shows it, or in a folder of its name:
    by a test of its name, or a test for each of its modules."""
    for package in sorted(p.parent for p in SNIPPETS.glob("*/__init__.py")):
        folder = ROOT / "tests" / package.name
        modules = [p.stem for p in package.glob("*.py") if not p.stem.startswith("__")]
        assert (
            (ROOT / "tests" / "pages" / f"test_{package.name}.py").is_file()
            or (folder / f"test_{package.name}.py").is_file()
            or (modules and all((folder / f"test_{m}.py").is_file() for m in modules))
        ), package.name


@pytest.mark.parametrize("path", python_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_exceeds_the_line_limit(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def imported(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


@pytest.mark.parametrize(
    "path", sorted(SNIPPETS.rglob("*.py")), ids=lambda p: str(p.relative_to(SNIPPETS))
)
def test_the_course_imports_none_of_the_site_machinery_and_reaches_no_module_global(path):
    assert set(imported(path)) & FORBIDDEN == set()
    assert "sys.modules" not in path.read_text()


def test_no_name_is_both_a_snippets_module_and_a_tooling_module():
    def names(folder):
        return {p.stem for p in (ROOT / folder).rglob("*.py") if not p.stem.startswith("__")}

    packages = {p.name for p in (ROOT / "tooling").rglob("*") if p.is_dir()}
    assert names("snippets") & (names("tooling") | packages) == set()


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
