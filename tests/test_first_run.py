import importlib

from helpers import reference_run_metrics

from snippets import first_run


def test_main_creates_the_experiment_and_one_finished_run(tracking_store, split, capsys):
    first_run.main()

    experiment = tracking_store.get_experiment_by_name(first_run.EXPERIMENT_NAME)
    [run] = tracking_store.search_runs([experiment.experiment_id])
    assert run.info.run_name == "premier-run"
    assert run.info.status == "FINISHED"
    assert run.data.params == {"C": "1.0", "gamma": "scale", "kernel": "rbf"}
    assert run.data.tags["model_family"] == "svm"
    expected = reference_run_metrics(split, 1.0, "scale")["accuracy"]
    assert run.data.metrics == {"accuracy": expected}
    assert "Statut : FINISHED" in capsys.readouterr().out


def settings_on_import(monkeypatch, **env):
    """TRACKING_URI and EXPERIMENT_NAME as the module reads them when it is imported."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module = importlib.reload(first_run)
    return [module.TRACKING_URI, module.EXPERIMENT_NAME]


def test_the_tracking_uri_and_experiment_come_from_the_environment_when_set(monkeypatch):
    server = "http://127.0.0.1:5005"
    try:
        assert settings_on_import(
            monkeypatch, MLFLOW_TRACKING_URI=server, MLFLOW_EXPERIMENT_NAME="svm-alice"
        ) == [server, "svm-alice"]
        assert settings_on_import(monkeypatch) == ["sqlite:///mlflow.db", "svm-cancer-du-sein"]
    finally:
        monkeypatch.undo()
        importlib.reload(first_run)
