"""The site's own figures (tooling/website/figures.py), drawn from rows shaped like search_runs."""

import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer

from tooling.website import figures


def test_heatmap_shows_the_metric_on_the_c_gamma_grid(sweep_rows):
    figure = figures.plot_heatmap(sweep_rows, "sensitivity")
    image = figure.axes[0].images[0].get_array()
    assert image.shape == (2, 3)  # gamma in rows, C in columns
    row = sweep_rows[(sweep_rows["params.gamma"] == "1.0") & (sweep_rows["params.C"] == "10.0")]
    assert image[1, 2] == row["metrics.sensitivity"].item()
    plt.close(figure)


def test_dataset_figures_count_the_tumours():
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    figure = figures.plot_class_balance(target)
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    assert heights == [212, 357]
    plt.close(figure)
    names = ["mean radius", "worst area"]
    figure = figures.plot_feature_distributions(features, target, names)
    assert [ax.get_title() for ax in figure.axes] == names
    plt.close(figure)
