import itertools

import mlflow
import pandas as pd
from helpers import assert_metrics_equal, reference_pipeline, reference_run_metrics

from snippets import sweep


def test_sweep_records_one_finished_run_per_configuration(tracking_store, split, capsys):
    sweep.main()
    experiment = tracking_store.get_experiment_by_name("svm-cancer-du-sein")
    runs = tracking_store.search_runs([experiment.experiment_id], max_results=100)
    sweep_runs = [run for run in runs if run.data.tags.get("sweep") == "C-gamma"]
    others = [run for run in runs if run.data.tags.get("sweep") != "C-gamma"]

    grid = set(
        itertools.product(["0.01", "0.1", "1.0", "10.0", "100.0"], ["0.001", "0.01", "0.1", "1.0"])
    )
    recorded = [(run.data.params["C"], run.data.params["gamma"]) for run in sweep_runs]
    assert sorted(recorded) == sorted(grid)
    assert [run.info.run_name for run in others] == ["meilleur-reglage"]
    assert all(run.info.status == "FINISHED" for run in runs)

    # Every run's metrics, against scikit-learn's own scorers on an independent fit.
    scores = {}
    for run in sweep_runs:
        C, gamma = float(run.data.params["C"]), float(run.data.params["gamma"])
        expected = reference_run_metrics(split, C, gamma)
        assert_metrics_equal(run.data.metrics, expected)
        balanced = round((expected["sensitivity"] + expected["specificity"]) / 2, 10)
        scores[(C, gamma)] = (balanced, expected["sensitivity"])

    # The best configuration by the stated criterion, computed here, got the one model.
    best_score = max(scores.values())
    best_configs = {config for config, score in scores.items() if score == best_score}
    [best_run] = others
    best_config = (
        float(best_run.data.params["C"]),
        float(best_run.data.params["gamma"]),
    )
    assert best_config in best_configs
    [model] = tracking_store.search_logged_models([experiment.experiment_id])
    assert model.source_run_id == best_run.info.run_id
    X_test = split[1]
    loaded = mlflow.pyfunc.load_model(f"models:/{model.model_id}")
    assert (loaded.predict(X_test) == reference_pipeline(split, *best_config).predict(X_test)).all()
    assert (
        f"C={best_run.data.params['C']}, gamma={best_run.data.params['gamma']}"
        in capsys.readouterr().out
    )


def test_select_best_run_uses_balanced_accuracy_then_sensitivity():
    runs = pd.DataFrame(
        {
            "run_id": [
                "accurate-but-blind",
                "balanced",
                "tie-less-sensitive",
                "tie-more-sensitive",
            ],
            "metrics.sensitivity": [0.0, 0.90, 0.80, 0.96],
            "metrics.specificity": [1.0, 0.94, 0.98, 0.82],
        }
    )
    # Means: 0.5, 0.92, 0.89, 0.89 -> "balanced" wins.
    assert sweep.select_best_run(runs)["run_id"] == "balanced"
    tie = runs[runs["run_id"].str.startswith("tie")]
    assert sweep.select_best_run(tie)["run_id"] == "tie-more-sensitive"


def test_running_the_sweep_again_only_adds_the_missing_settings(tracking_store):
    sweep.setup_tracking()
    first = sweep.run_sweep(c_values=[0.1, 1.0], gamma_values=[0.01])
    again = sweep.run_sweep(c_values=[0.1, 1.0, 10.0], gamma_values=[0.01])
    assert len(first) == 2 and len(again) == 1
    experiment = tracking_store.get_experiment_by_name("svm-cancer-du-sein")
    runs = tracking_store.search_runs([experiment.experiment_id])
    settings = sorted((run.data.params["C"], run.data.params["gamma"]) for run in runs)
    assert settings == [("0.1", "0.01"), ("1.0", "0.01"), ("10.0", "0.01")]
    assert tracking_store.get_run(again[0]).data.params["C"] == "10.0"
