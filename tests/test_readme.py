from helpers import ROOT

SERVE = "pip install -r requirements.txt && mkdocs serve"
TESTS = "pip install -r requirements.txt && python -m pytest"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one_as_written():
    readme = (ROOT / "README.md").read_text().splitlines()
    assert SERVE in readme
    assert TESTS in readme
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci_lines[-1] == TESTS
