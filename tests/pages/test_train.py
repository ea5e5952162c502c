from pathlib import Path

import mlflow
import pytest
import yaml
from helpers import (
    assert_metrics_equal,
    course_command,
    reference_pipeline,
    reference_run_metrics,
)
from sklearn.utils._param_validation import InvalidParameterError

from snippets import train


def test_train_and_log_records_params_metrics_figure_and_a_loadable_model(tracking_store, split):
    train.setup_tracking()
    run_id, model_info = train.train_and_log(C=10.0, gamma=0.01)

    run = tracking_store.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"C": "10.0", "gamma": "0.01", "kernel": "rbf"}
    assert_metrics_equal(run.data.metrics, reference_run_metrics(split, 10.0, 0.01))
    assert [a.path for a in tracking_store.list_artifacts(run_id)] == ["confusion_matrix.png"]

    # The Logged Model: linked to the run, loadable by models:/<model_id>, same predictions.
    logged = tracking_store.get_logged_model(model_info.model_id)
    assert logged.source_run_id == run_id
    assert model_info.model_uri == f"models:/{model_info.model_id}"
    loaded = mlflow.pyfunc.load_model(f"models:/{model_info.model_id}")
    X_test = split[1]
    expected = reference_pipeline(split, 10.0, 0.01).predict(X_test)
    assert (loaded.predict(X_test) == expected).all()

    # Default configuration: both flavors, a signature inferred from the input example.
    model_dir = Path(mlflow.artifacts.download_artifacts(model_info.model_uri))
    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text())
    assert set(mlmodel["flavors"]) == {"python_function", "sklearn"}
    inputs = yaml.safe_load(mlmodel["signature"]["inputs"])
    assert [column["name"] for column in inputs] == list(X_test.columns)
    assert mlmodel["saved_input_example_info"]["artifact_path"] == "input_example.json"


def test_command_line_logs_one_run_with_the_given_params(tracking_store, split, capsys):
    train.main(["--C", "0.1", "--gamma", "0.1", "--kernel", "rbf"])

    experiment = tracking_store.get_experiment_by_name("svm-cancer-du-sein")
    [run] = tracking_store.search_runs([experiment.experiment_id])
    assert run.data.params == {"C": "0.1", "gamma": "0.1", "kernel": "rbf"}
    assert_metrics_equal(run.data.metrics, reference_run_metrics(split, 0.1, 0.1))
    out = capsys.readouterr().out
    assert f"run : {run.info.run_id}" in out
    assert "Modèle : models:/m-" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--C", "-1"], "« -1 » n'est pas un nombre fini strictement positif"),
        (["--C", "abc"], "« abc » n'est pas un nombre fini strictement positif"),
        (["--C", "inf"], "« inf » n'est pas un nombre fini strictement positif"),
        (["--C", "nan"], "« nan » n'est pas un nombre fini strictement positif"),
        (["--kernel", "banana"], "noyau « banana » inconnu"),
        (["--gamma", "-3"], "« -3 » ne convient pas : donnez scale, auto"),
        (["--gamma", "inf"], "« inf » ne convient pas : donnez scale, auto"),
        (["--gamma", "1e999"], "« 1e999 » ne convient pas : donnez scale, auto"),
    ],
)
def test_bad_input_is_refused_in_french_before_any_run(workdir, capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_info:
        train.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not Path("mlflow.db").exists()  # no store, so no experiment and no run


@pytest.mark.slow  # a subprocess; the same refusal in-process is in the quick tier
def test_the_command_refuses_bad_input_with_status_2_and_creates_nothing(tmp_path):
    result = course_command("train", "--C", "-1", folder=tmp_path)
    assert result.returncode == 2
    message = "Erreur : argument --C : « -1 » n'est pas un nombre fini strictement positif"
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_training_error_ends_the_run_failed_and_shows_the_error(tracking_store):
    experiment = train.setup_tracking()
    # gamma read back from MLflow is text: "0.1" is not a number for scikit-learn.
    with pytest.raises(InvalidParameterError, match="'gamma' parameter of SVC"):
        train.train_and_log(C=1.0, gamma="0.1")
    assert mlflow.active_run() is None
    [run] = tracking_store.search_runs([experiment.experiment_id])
    assert run.info.status == "FAILED"
    assert run.info.end_time >= run.info.start_time
    assert run.data.params == {"C": "1.0", "gamma": "0.1", "kernel": "rbf"}
    assert run.data.metrics == {}
