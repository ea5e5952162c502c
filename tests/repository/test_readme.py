from helpers import ROOT

SERVE = "pip install -e . && mkdocs serve"
TESTS = "pip install -e . -r requirements-dev.txt && python -m pytest"
QUICK = 'python -m pytest -m "not slow" -n 2'


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one_as_written():
    readme = (ROOT / "README.md").read_text().splitlines()
    assert SERVE in readme
    assert TESTS in readme
    assert QUICK in readme
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci_lines[-1] == TESTS


def test_the_readme_speaks_to_learners_and_teachers_in_at_most_12_kb():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 12 * 1024
    assert "python -m snippets.teacher.leaderboard" in readme
    assert "python -m snippets.teacher.class_load" in readme
    assert "[`MAINTAINERS.md`](MAINTAINERS.md)" in readme


def test_the_home_page_gives_the_learners_install_command():
    lines = (ROOT / "docs" / "index.md").read_text().splitlines()
    assert SERVE in [line.strip() for line in lines]  # in the Linux / macOS tab
