"""Les figures du site que les pages ne tracent pas elles-mêmes, dessinées à la construction
(tooling.website.generation) à partir des données et des runs réels des pages, sans être
versionnées."""

import matplotlib

matplotlib.use("Agg")  # dessin sans écran : les figures partent dans des fichiers

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from snippets.data import BENIGN, MALIGNANT  # noqa: E402
from snippets.sweep import METRIC_LABELS, sweep_table  # noqa: E402

CLASS_LABELS = {MALIGNANT: "maligne", BENIGN: "bénigne"}
CLASS_COLORS = {MALIGNANT: "#c0392b", BENIGN: "#2e86c1"}


def plot_heatmap(runs, metric="sensitivity"):
    """Une métrique sur la grille C × gamma, valeur écrite dans chaque case."""
    grid = sweep_table(runs).pivot(index="gamma", columns="C", values=metric)
    figure, ax = plt.subplots(figsize=(6.5, 4))
    image = ax.imshow(grid.to_numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(grid.columns)), [f"{c:g}" for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [f"{g:g}" for g in grid.index])
    ax.set_xlabel("C")
    ax.set_ylabel("gamma")
    for (row, col), value in np.ndenumerate(grid.to_numpy()):
        color = "black" if value > 0.6 else "white"
        ax.text(col, row, f"{value:.2f}", ha="center", va="center", color=color)
    ax.set_title(f"{METRIC_LABELS[metric]} selon C et gamma")
    figure.colorbar(image, ax=ax)
    figure.tight_layout()
    return figure


def plot_class_balance(target):
    """Le nombre de tumeurs de chaque classe."""
    counts = target.value_counts().reindex([MALIGNANT, BENIGN])
    figure, ax = plt.subplots(figsize=(5, 3.2))
    bars = ax.bar(
        [CLASS_LABELS[label] for label in counts.index],
        counts.to_numpy(),
        color=[CLASS_COLORS[label] for label in counts.index],
    )
    ax.bar_label(bars, [f"{n} ({n / counts.sum():.0%})" for n in counts])
    ax.set_ylabel("Nombre de tumeurs")
    ax.set_title("Répartition des classes (569 tumeurs)")
    ax.set_ylim(0, counts.max() * 1.18)
    figure.tight_layout()
    return figure


def plot_feature_distributions(features, target, names):
    """Histogrammes de quelques variables, une couleur par classe."""
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3))
    for ax, name in zip(axes, names, strict=True):
        for label in (MALIGNANT, BENIGN):
            ax.hist(
                features.loc[target == label, name],
                bins=25,
                alpha=0.6,
                color=CLASS_COLORS[label],
                label=CLASS_LABELS[label],
            )
        ax.set_title(name)
    axes[0].set_ylabel("Nombre de tumeurs")
    axes[0].legend()
    figure.tight_layout()
    return figure


def plot_families(runs):
    """Sensibilité et spécificité de chaque famille, triées par sensibilité."""
    table = runs.sort_values(["metrics.sensitivity", "metrics.specificity"])
    names = table["tags.model_family"].tolist()
    positions = np.arange(len(names))
    figure, ax = plt.subplots(figsize=(8, 4.2))
    for offset, metric in [(-0.2, "sensitivity"), (0.2, "specificity")]:
        values = table[f"metrics.{metric}"].to_numpy()
        bars = ax.barh(positions + offset, values, height=0.4, label=METRIC_LABELS[metric])
        ax.bar_label(bars, fmt="%.3f", padding=3, fontsize="small")
    ax.set_yticks(positions, names)
    ax.set_xlim(0.8, 1.04)
    ax.set_xlabel("Valeur sur le jeu de test (axe à partir de 0,8)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.grid(True, axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def save(figure, path):
    """Écrit la figure en PNG, puis la ferme."""
    figure.savefig(path, dpi=110)
    plt.close(figure)
