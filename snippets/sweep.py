"""Page « Comparer les runs » : un balayage de C et gamma d'un SVM à noyau RBF,
soit 20 runs, sa lecture avec mlflow.search_runs et le choix du meilleur réglage.

En ligne de commande : python -m snippets.sweep
"""

# --8<-- [start:imports]
import itertools
from importlib.metadata import version

import mlflow
from matplotlib.figure import Figure

# --8<-- [end:imports]
from snippets.first_run import setup_tracking
from snippets.train import parse_gamma, train_and_log

# --8<-- [start:sweep]
C_VALUES = [0.01, 0.1, 1.0, 10.0, 100.0]
GAMMA_VALUES = [0.001, 0.01, 0.1, 1.0]
SWEEP_TAG = {"sweep": "C-gamma"}  # distingue les runs du balayage des autres runs


def sweep_runs():
    """Les runs terminés du balayage dans l'expérience active, en DataFrame pandas."""
    return mlflow.search_runs(
        filter_string="tags.sweep = 'C-gamma' and attributes.status = 'FINISHED'",
    )


def run_sweep(c_values=C_VALUES, gamma_values=GAMMA_VALUES):
    """Un run sans modèle par couple (C, gamma) qui n'a pas encore de run terminé."""
    done = sweep_runs()
    done = set(zip(done.get("params.C", []), done.get("params.gamma", []), strict=True))
    run_ids = []
    for C, gamma in itertools.product(c_values, gamma_values):
        if (str(C), str(gamma)) in done:
            continue  # MLflow stocke les paramètres en texte, d'où str()
        run_id, _ = train_and_log(C=C, gamma=gamma, log_model=False, tags=SWEEP_TAG)
        run_ids.append(run_id)
    return run_ids


# --8<-- [end:sweep]


# --8<-- [start:requirements]
# Les dépendances du modèle, déclarées avec les versions installées : sans elles,
# MLflow les déduit en important le modèle dans un autre processus (plusieurs secondes).
REQUIREMENTS = [
    f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "skops")
]
# --8<-- [end:requirements]


# --8<-- [start:plot]
METRIC_LABELS = {
    "accuracy": "Exactitude",
    "sensitivity": "Sensibilité",
    "specificity": "Spécificité",
}


def sweep_table(runs):
    """Les colonnes utiles de search_runs, avec C et gamma redevenus des nombres."""
    table = runs[["params.C", "params.gamma"] + [f"metrics.{m}" for m in METRIC_LABELS]]
    table = table.rename(columns=lambda name: name.split(".", 1)[1])
    return table.astype({"C": float, "gamma": float}).sort_values(["gamma", "C"])


def plot_metrics_vs_c(runs):
    """Exactitude, sensibilité et spécificité selon C (échelle log), par gamma."""
    table = sweep_table(runs)
    figure = Figure(figsize=(12, 3.8), layout="tight")
    axes = figure.subplots(1, 3, sharey=True)
    for ax, (metric, label) in zip(axes, METRIC_LABELS.items(), strict=True):
        for gamma, group in table.groupby("gamma"):
            ax.plot(group["C"], group[metric], marker="o", label=f"gamma = {gamma:g}")
        ax.set_xscale("log")
        ax.set_xlabel("C (échelle logarithmique)")
        ax.set_title(label)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("Valeur sur le jeu de test")
    axes[0].set_ylim(-0.05, 1.05)
    axes[-1].legend(loc="lower right", fontsize="small")
    return figure


# --8<-- [end:plot]


# --8<-- [start:best]
def select_best_run(runs):
    """Critère : la plus grande moyenne de la sensibilité et de la spécificité ;
    à égalité, la plus grande sensibilité (manquer une tumeur maligne coûte cher)."""
    balanced_accuracy = (runs["metrics.sensitivity"] + runs["metrics.specificity"]) / 2
    # L'arrondi évite qu'une erreur d'arrondi des flottants départage deux ex aequo.
    scored = runs.assign(balanced_accuracy=balanced_accuracy.round(10))
    ranked = scored.sort_values(
        ["balanced_accuracy", "metrics.sensitivity"], ascending=False, kind="stable"
    )
    return ranked.iloc[0]


# --8<-- [end:best]


def main():
    # --8<-- [start:run]
    experiment = setup_tracking()
    new_run_ids = run_sweep()
    print(f"{len(new_run_ids)} nouveaux runs dans l'expérience « {experiment.name} ».")
    # --8<-- [end:run]

    # --8<-- [start:table]
    runs = sweep_runs()
    columns = ["params.C", "params.gamma", "metrics.accuracy", "metrics.sensitivity"]
    columns += ["metrics.specificity"]
    table = runs[columns].rename(columns=lambda name: name.split(".", 1)[1])
    table = table.sort_values("accuracy", ascending=False).round(3)
    print(table.to_string(index=False))
    # --8<-- [end:table]

    # --8<-- [start:figure]
    figure = plot_metrics_vs_c(runs)
    figure.savefig("metriques_selon_C.png", dpi=110)  # dans le dossier courant
    # --8<-- [end:figure]

    # --8<-- [start:choose]
    best = select_best_run(runs)
    print(
        f"Meilleur compromis : C={best['params.C']}, gamma={best['params.gamma']} "
        f"(sensibilité {best['metrics.sensitivity']:.3f}, "
        f"spécificité {best['metrics.specificity']:.3f}, run {best['run_id']})"
    )
    # --8<-- [end:choose]

    # --8<-- [start:best_model]
    # Les paramètres reviennent de MLflow sous forme de texte : on les reconvertit.
    run_id, model_info = train_and_log(
        C=float(best["params.C"]),
        gamma=parse_gamma(best["params.gamma"]),
        run_name="meilleur-reglage",
        pip_requirements=REQUIREMENTS,
    )
    print(f"Modèle du meilleur réglage : {model_info.model_uri} (run {run_id})")
    # --8<-- [end:best_model]


def parse_args(argv=None):
    """La commande ne prend pas d'argument : -h l'explique, tout autre est refusé."""
    from snippets.cli import FrenchArgumentParser

    FrenchArgumentParser(
        prog="python -m snippets.sweep",
        description="Balayage de C et gamma (20 runs), puis le modèle du meilleur "
        "réglage. Relancée, la commande reprend là où elle s'est arrêtée.",
    ).parse_args(argv)


if __name__ == "__main__":
    from snippets.cli import INTERRUPTED_RUN, SWEEP_RESUMES, run_command

    parse_args()
    run_command(main, interrupted=f"{INTERRUPTED_RUN}\n{SWEEP_RESUMES}")
