import numpy as np
import pytest
from helpers import assert_metrics_equal, reference_metrics, reference_run_metrics
from PIL import Image

from snippets import metrics


@pytest.mark.parametrize(
    "y_pred",
    [
        np.array([0, 0, 1, 1, 0, 1, 1, 1]),  # some of each error
        np.array([1, 1, 1, 1, 1, 1, 1, 1]),  # never predicts malignant
        np.array([0, 0, 0, 0, 0, 0, 0, 0]),  # predicts malignant only
        np.array([0, 1, 1, 0, 0, 1, 1, 1]),  # perfect
    ],
    ids=["mixed", "never-malignant", "always-malignant", "perfect"],
)
def test_seven_metrics_match_scikit_learn_with_malignant_positive(y_pred):
    y_true = np.array([0, 1, 1, 0, 0, 1, 1, 1])
    assert_metrics_equal(
        metrics.classification_metrics(y_true, y_pred),
        reference_metrics(y_true, y_pred),
    )


def test_sensitivity_measures_the_detection_of_malignant_tumours():
    y_true = np.array([0, 0, 0, 0, 1, 1])
    y_pred = np.array([0, 0, 0, 1, 1, 1])  # 3 of 4 malignant found, no false alarm
    computed = metrics.classification_metrics(y_true, y_pred)
    assert computed["sensitivity"] == 0.75
    assert computed["specificity"] == 1.0
    assert computed["fall_out"] == 0.0


def test_main_records_seven_metrics_and_the_confusion_matrix(tracking_store, split):
    metrics.main()
    [run] = tracking_store.search_runs(
        [tracking_store.get_experiment_by_name("svm-cancer-du-sein").experiment_id]
    )
    assert run.info.run_name == "sept-metriques"
    assert run.info.status == "FINISHED"
    assert run.data.params == {"C": "1.0", "gamma": "scale", "kernel": "rbf"}
    assert_metrics_equal(run.data.metrics, reference_run_metrics(split, 1.0, "scale"))

    [artifact] = tracking_store.list_artifacts(run.info.run_id)
    assert artifact.path == "confusion_matrix.png"
    local = tracking_store.download_artifacts(run.info.run_id, artifact.path)
    with Image.open(local) as image:
        assert image.format == "PNG"
        assert image.width >= 300 and image.height >= 300
