import mlflow
from helpers import reference_run_metrics, tracking_uri
from mlflow import MlflowClient

from snippets import cli, first_run, tracking


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


def test_the_commands_follow_the_environment_the_page_does_not(monkeypatch, tmp_path):
    # What a learner's terminal on a shared server holds (the « Serveur de suivi partagé » page).
    server = f"sqlite:///{tmp_path / 'partage.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "svm-alice")
    assert [first_run.TRACKING_URI, first_run.EXPERIMENT_NAME] == [
        "sqlite:///mlflow.db",
        "svm-cancer-du-sein",
    ]  # the page's own choice: the environment changes nothing
    try:
        cli.follow_environment()
        with tracking_uri(None):
            experiment = first_run.setup_tracking()
            assert mlflow.get_tracking_uri() == server
    finally:
        tracking.follow(tracking.COURSE_TRACKING_URI, tracking.COURSE_EXPERIMENT)
    assert experiment.name == "svm-alice"
    assert MlflowClient(server).get_experiment_by_name("svm-alice") is not None
