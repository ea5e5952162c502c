"""The benchmark, in its short mode only (a benchmark is not a timed test), and the recorded
full runs that the « Performances » page shows: the sweep's, and the Optuna study's with and
without Spark (--spark)."""

import re

import pytest
from helpers import ROOT, assert_no_jvm_left, course_command, spark_or_skip

from snippets import benchmark
from tooling.versions import pinned

RECORDED = ROOT / "measurements" / "benchmark.txt"
SPARK_RECORDED = ROOT / "measurements" / "spark.txt"


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


def spark_pin():
    pins = (ROOT / "requirements-spark.txt").read_text()
    return re.search(r"^pyspark==(\S+)$", pins, re.M)[1]


def spark_tables(text):
    """{table title: {row label: numbers}} read from the --spark report."""
    tables = {}
    for block in text.split("\n\n"):
        title, *rows = block.splitlines()
        found = [re.fullmatch(r"  (\S.*?) {2,}([\d.]+)(?: +([\d.]+))?", row) for row in rows]
        if rows and all(found):
            key = re.sub(r" {2,}.*", "", title)
            tables[key] = {m[1]: tuple(float(n) for n in m.groups()[1:] if n) for m in found}
    return tables


def speedups(text):
    return {m[1]: float(m[2]) for m in re.finditer(r"^speedup_(\w+)=([\d.]+)$", text, re.M)}


def check_spark_report(text, n_trials, studies):
    """The --spark report: pinned versions, its three tables consistent with each other, every
    tracked study's children recorded, and the ratios as the tables give them."""
    header = text.splitlines()[0]
    pins = pinned()
    for name, label in [
        ("mlflow", "MLflow"),
        ("optuna", "Optuna"),
        ("scikit-learn", "scikit-learn"),
    ]:
        assert f"{label} {pins[name]}," in header
    assert f"PySpark {spark_pin()}," in header
    assert f"études de {n_trials} essais" in header
    tables = spark_tables(text)
    start = tables["Démarrage de Spark, local[2]"]
    session, first_job = start["création de la SparkSession"][0], start["premier job"][0]
    assert start["démarrage en tout"][0] == pytest.approx(session + first_job, abs=0.011)
    study = tables[f"Étude de {n_trials} essais"]
    assert list(study) == [
        "Optuna seul, en mémoire",
        "Optuna et MlflowStorage, un processus",
        "MlflowSparkStudy, première étude",
        "MlflowSparkStudy, workers prêts",
    ]
    [long_title] = [title for title in tables if title.startswith("Essais allongés")]
    longer = tables[long_title]
    assert list(longer) == [
        "Optuna et MlflowStorage, un processus",
        "MlflowSparkStudy, workers prêts",
    ]
    for total, per_trial in [*study.values(), *longer.values()]:
        assert total > 0
        assert per_trial == pytest.approx(total / n_trials, abs=0.006)
    children = re.search(r"^Runs enfants de chaque étude suivie : ([\d, ]+) \((.+)\)$", text, re.M)
    assert children[1].split(", ") == [str(n_trials)] * studies
    assert children[2] == "FINISHED"
    one_process = study["Optuna et MlflowStorage, un processus"][0]
    expected = {
        "spark": one_process
        / (start["démarrage en tout"][0] + study["MlflowSparkStudy, première étude"][0]),
        "spark_warm": one_process / study["MlflowSparkStudy, workers prêts"][0],
        "spark_long": longer["Optuna et MlflowStorage, un processus"][0]
        / longer["MlflowSparkStudy, workers prêts"][0],
    }
    found = speedups(text)
    assert list(found) == list(expected)
    for name, ratio in expected.items():
        assert found[name] == pytest.approx(ratio, abs=0.006 + 0.01 * ratio), name
    return tables, found


@pytest.mark.spark  # a benchmark, even short, on a real Spark
def test_the_short_spark_mode_measures_the_study_with_and_without_spark(tmp_path):
    spark_or_skip()
    result = course_command("benchmark", "--spark", "--quick", folder=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    # 1 study with MlflowStorage, then with Spark the first one, 1 warm, and the two long ones
    check_spark_report(result.stdout, n_trials=4, studies=5)
    assert "Essais allongés à 0.5 s (attente)" in result.stdout
    assert list(tmp_path.iterdir()) == []  # the stores were temporary
    assert_no_jvm_left(tmp_path)


def test_the_recorded_spark_run_is_on_the_pinned_versions_and_says_what_the_pages_say():
    text = SPARK_RECORDED.read_text()
    # 3 studies with MlflowStorage, then with Spark the first one, 3 warm, the two long ones
    tables, found = check_spark_report(text, n_trials=20, studies=9)
    assert "médianes de 3" in text
    assert "Essais allongés à 3 s (attente)" in text
    study = tables["Étude de 20 essais"]
    memory, storage = (
        study["Optuna seul, en mémoire"],
        study["Optuna et MlflowStorage, un processus"],
    )
    # « un essai du cours entraîne cinq SVM en quelques dizaines de millisecondes »
    assert memory[1] < 0.1
    # « MlflowStorage coûte plus cher que l'essai lui-même »
    assert storage[1] > 2 * memory[1]
    # « La première étude paie en plus le lancement des workers Python »
    assert (
        study["MlflowSparkStudy, première étude"][0] > study["MlflowSparkStudy, workers prêts"][0]
    )
    # « une seule étude, démarrage compris, va moins vite avec Spark » ; workers prêts, les deux
    # exécuteurs ne font pas mieux que deux cœurs ; les essais longs passent au-dessus de 1.
    assert found["spark"] < 1
    assert found["spark_warm"] < 2
    assert 1 < found["spark_long"] < 2


def test_the_pages_show_the_recorded_spark_run():
    page = (ROOT / "docs" / "benchmark.md").read_text()
    assert '--8<-- "measurements/spark.txt"' in page
    assert "python -m snippets.benchmark --spark" in page
