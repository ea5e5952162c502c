"""The generation's machinery without running it: a step's cache key comes from what the step
reads (its page's blocks or its notebook, the files of snippets/ and tooling/ it imports, found
by reading their imports, and the installed versions), each generated file is named after the
step that writes it, and tooling/ is laid out by role."""

import re
from pathlib import Path

import pytest

from tooling import ROOT
from tooling.sections import written_pages
from tooling.website import cache_key, generated_folder
from tooling.website.steps import STEP_BY_NAME, STEPS

UNRELATED = [
    "tooling/captures/ui_tour.py",
    "tooling/measures/build_benchmark.py",
    "tooling/website/generation.py",
    "tooling/website/scheduler.py",
]


EDIT = "\n# modifié\n".encode()


def edited(monkeypatch, target):
    """Path.read_bytes (what a key reads) sees target with one more line."""
    read_bytes = Path.read_bytes

    def read(path):
        data = read_bytes(path)
        return data + EDIT if Path(path) == target else data

    monkeypatch.setattr(Path, "read_bytes", read)


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_key_follows_every_file_the_code_imports_and_only_those(tmp_path, monkeypatch):
    write(
        tmp_path,
        {
            "snippets/__init__.py": "",
            "snippets/first.py": (
                "import subprocess, sys\nimport mlflow\nfrom .second import NAME\n\n"
                "def later():\n    from snippets import third\n\n"
                "def launch():\n    subprocess.run([sys.executable, '-m', 'snippets.command'])\n"
            ),
            "snippets/second.py": "NAME = 1\n",
            "snippets/third.py": "from snippets.deep.inner import VALUE\n",
            "snippets/deep/__init__.py": "",
            "snippets/deep/inner.py": "VALUE = 2\n",
            "snippets/command/__init__.py": "",
            "snippets/command/__main__.py": "print('commande')\n",
            "snippets/unrelated.py": "import snippets.second\n",
            "tooling/__init__.py": "",
            "tooling/step.py": "def finish():\n    import snippets.first\n",
        },
    )
    code = ["%matplotlib inline\nimport pandas"]  # a notebook's cell, with a Jupyter command
    files, others = cache_key.reads(code, ["tooling.step"], tmp_path)
    read = {path.relative_to(tmp_path).as_posix() for path in files}
    assert read == {
        "tooling/__init__.py",
        "tooling/step.py",
        "snippets/__init__.py",
        "snippets/first.py",
        "snippets/second.py",  # relative import
        "snippets/third.py",  # imported inside a function
        "snippets/deep/__init__.py",  # the parent package of what third imports
        "snippets/deep/inner.py",
        "snippets/command/__init__.py",  # run by python -m
        "snippets/command/__main__.py",
    }
    assert {"mlflow", "pandas", "subprocess", "sys"} <= others

    def key():
        return cache_key.fingerprint("step", ["shown"], code, ["tooling.step"], tmp_path)

    before = key()
    for path in files:
        with monkeypatch.context() as patch:
            edited(patch, path)
            assert key() != before, path
    edited(monkeypatch, tmp_path / "snippets" / "unrelated.py")
    assert key() == before


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.name)
def test_changing_any_file_a_step_reads_changes_its_key(step, monkeypatch):
    shown, code = step.shown(), step.code(step.shown())
    monkeypatch.setattr(step, "shown", lambda: shown)  # computed once
    monkeypatch.setattr(step, "code", lambda shown: code)
    before = step.key()
    files = step.reads()
    assert ROOT / "tooling" / "website" / "steps" / f"{step.name}_step.py" in files
    assert ROOT / "tooling" / "sections.py" in files
    for path in files:
        with monkeypatch.context() as patch:
            edited(patch, path)
            assert step.key() != before, path
    for name in UNRELATED:
        assert ROOT / name not in files, name
        with monkeypatch.context() as patch:
            edited(patch, ROOT / name)
            assert step.key() == before, name


def test_the_steps_read_what_they_run_or_launch():
    local = STEP_BY_NAME["local"].reads()
    for name in ["snippets/verifier/__main__.py", "snippets/cli.py", "snippets/data.py"]:
        assert ROOT / name in local, name  # python -m snippets.verifier, and the figures' data
    assert ROOT / "tooling/website/figures.py" in local
    assert ROOT / "snippets/train.py" in STEP_BY_NAME["leaderboard"].reads()
    autolog = STEP_BY_NAME["autolog"].reads()
    assert ROOT / "snippets/data.py" not in autolog  # its sections are in the page's blocks
    assert ROOT / "tooling/website/figures.py" not in autolog


def test_a_page_step_key_follows_its_blocks_not_its_prose(monkeypatch):
    step = STEP_BY_NAME["autolog"]
    page = ROOT / "docs" / "autolog.md"
    before = step.key()
    read_text = Path.read_text

    def with_text(extra):
        def read(path, *args, **kwargs):
            text = read_text(path, *args, **kwargs)
            return text + extra if Path(path) == page else text

        return read

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_text", with_text("\nUne phrase de plus.\n"))
        assert step.key() == before
    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_text", with_text('\n```python\nprint("de plus")\n```\n'))
        assert step.key() != before


def test_the_migration_key_covers_the_old_code_it_runs():
    from tooling.sections import section

    [shown] = STEP_BY_NAME["migration"].shown()
    assert section("migration.py:old_file_store") in shown


def test_every_generated_file_is_named_after_its_step():
    for step in STEPS:
        assert step.module == f"tooling.website.steps.{step.name}_step"
        for output in step.outputs:
            if output.endswith((".png", ".ipynb")):
                continue  # figures/… and notebooks/… are addresses of the site
            assert output == f"{step.name}.txt" or output.startswith(f"{step.name}_"), output
    modules = {path.stem for path in (ROOT / "tooling" / "website" / "steps").glob("*_step.py")}
    assert modules == {f"{step.name}_step" for step in STEPS}


def test_every_generated_include_of_the_pages_is_a_step_output():
    outputs = {output for step in STEPS for output in step.outputs} | {generated_folder.BOX}
    include = re.compile(r'^[ \t]*--8<-- "([^"/]+)"$', re.M)
    found = set()
    for page in written_pages():
        found |= set(include.findall(page.read_text()))
    assert found and found <= outputs, found - outputs


def modules(folder):
    return {
        path.stem
        for path in (ROOT / folder).rglob("*.py")
        if path.stem not in ("__init__", "__main__") and "node_modules" not in path.parts
    }


def test_no_module_of_tooling_is_named_like_a_module_of_the_course():
    assert modules("tooling") & (modules("snippets") | {"snippets"}) == set()


def test_no_module_of_the_machinery_exceeds_500_lines():
    for folder in ["tooling", "hooks"]:
        for path in (ROOT / folder).rglob("*.py"):
            if "node_modules" not in path.parts:
                assert len(path.read_text().splitlines()) <= 500, path
