"""The benchmark, in its short mode only (a benchmark is not a timed test), and the recorded
full run that the « Performances » page shows."""

import re

import pytest
from helpers import ROOT

from snippets import benchmark
from tooling.versions import pinned

RECORDED = ROOT / "measurements" / "benchmark.txt"


def table(text):
    """{way: (ms per run, seconds in all)} read from the printed table."""
    rows = re.findall(r"^(sans suivi|façon du cours|façon naïve) +(\d+) +([\d.]+)$", text, re.M)
    return {name: (int(per_run), float(total)) for name, per_run, total in rows}


def cost(text, label):
    return float(re.search(rf"^ +{re.escape(label)} +(-?[\d.]+)$", text, re.M)[1])


@pytest.mark.slow  # a benchmark, even short
def test_the_short_mode_measures_the_three_ways_and_ends_with_the_speedup(workdir, capsys):
    benchmark.main(["--quick"])
    out = capsys.readouterr().out
    assert f"MLflow {pinned()['mlflow']}, scikit-learn {pinned()['scikit-learn']}" in out
    assert "4 réglages" in out
    rows = table(out)
    assert list(rows) == ["sans suivi", "façon du cours", "façon naïve"]
    assert all(per_run > 0 and total > 0 for per_run, total in rows.values())
    last = out.rstrip().splitlines()[-1]
    assert re.fullmatch(r"speedup=\d+\.\d", last)
    # The speedup is the naive sweep over the course's, as the table shows them.
    expected = rows["façon naïve"][1] / rows["façon du cours"][1]
    assert float(last.split("=")[1]) == pytest.approx(expected, abs=0.06 + 0.01 * expected)
    assert list(workdir.iterdir()) == []  # the stores were temporary


def test_the_recorded_full_run_is_on_the_pinned_versions_and_reaches_the_targets():
    text = RECORDED.read_text()
    assert f"MLflow {pinned()['mlflow']}, scikit-learn {pinned()['scikit-learn']}" in text
    assert "20 réglages" in text
    rows = table(text)
    speedup = float(text.rstrip().splitlines()[-1].removeprefix("speedup="))
    expected = rows["façon naïve"][1] / rows["façon du cours"][1]
    assert speedup == pytest.approx(expected, abs=0.06 + 0.01 * expected)
    assert speedup >= 20
    overhead = cost(text, "suivi d'un run du cours (run suivi - run sans suivi)")
    untracked, course = rows["sans suivi"][0], rows["façon du cours"][0]
    assert abs(overhead - (course - untracked)) <= 1  # both rounded to the ms
    assert overhead <= 200


def test_the_page_shows_the_recorded_run():
    page = (ROOT / "docs" / "benchmark.md").read_text()
    assert '--8<-- "measurements/benchmark.txt"' in page
