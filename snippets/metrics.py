"""Page « Sept métriques et artefacts » : les sept métriques (classe positive : maligne)
et la matrice de confusion enregistrée comme artefact.

En ligne de commande : python -m snippets.metrics
"""

# --8<-- [start:imports]
import mlflow
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

# --8<-- [end:imports]
from snippets.data import BENIGN, MALIGNANT, load_data
from snippets.first_run import build_model, setup_tracking


# --8<-- [start:metrics]
def ratio(numerator, denominator):
    """Divise ; renvoie 0.0 si le dénominateur est nul (une classe jamais prédite)."""
    return float(numerator / denominator) if denominator else 0.0


def classification_metrics(y_true, y_pred):
    """Calcule les sept métriques avec la tumeur maligne comme classe positive."""
    # labels=[négatif, positif] : ravel() rend alors tn, fp, fn, tp, dans cet ordre.
    tn, fp, fn, tp = confusion_matrix(
        y_true, y_pred, labels=[BENIGN, MALIGNANT]
    ).ravel()
    return {
        "accuracy": ratio(tp + tn, tp + tn + fp + fn),
        "sensitivity": ratio(
            tp, tp + fn
        ),  # rappel : part des tumeurs malignes détectées
        "specificity": ratio(tn, tn + fp),  # part des tumeurs bénignes reconnues
        "precision": ratio(tp, tp + fp),  # valeur prédictive positive
        "npv": ratio(tn, tn + fn),  # valeur prédictive négative
        "fall_out": ratio(fp, fp + tn),  # taux de faux positifs = 1 - spécificité
        "fdr": ratio(fp, fp + tp),  # taux de fausses découvertes = 1 - précision
    }


# --8<-- [end:metrics]


# --8<-- [start:figure]
def plot_confusion_matrix(y_true, y_pred):
    """Dessine la matrice de confusion, classe maligne en premier."""
    # Une Figure créée sans pyplot : rien à fermer ensuite, et un dessin plus rapide.
    figure = Figure(figsize=(4, 4), layout="tight")
    display = ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=[MALIGNANT, BENIGN],
        display_labels=["maligne", "bénigne"],
        cmap="Blues",
        colorbar=False,
        ax=figure.add_subplot(),
    )
    display.ax_.set_xlabel("Classe prédite")
    display.ax_.set_ylabel("Classe réelle")
    return figure


# --8<-- [end:figure]


# --8<-- [start:log_evaluation]
def log_evaluation(model, X_test, y_test):
    """Enregistre dans le run actif les sept métriques et la matrice de confusion."""
    y_pred = model.predict(X_test)
    mlflow.log_metrics(classification_metrics(y_test, y_pred))
    mlflow.log_figure(plot_confusion_matrix(y_test, y_pred), "confusion_matrix.png")


# --8<-- [end:log_evaluation]


def main():
    # --8<-- [start:run]
    setup_tracking()
    X_train, X_test, y_train, y_test = load_data()
    params = {"C": 1.0, "gamma": "scale", "kernel": "rbf"}

    with mlflow.start_run(run_name="sept-metriques") as run:
        mlflow.log_params(params)
        model = build_model(**params).fit(X_train, y_train)
        log_evaluation(model, X_test, y_test)

    for name, value in mlflow.get_run(run.info.run_id).data.metrics.items():
        print(f"{name:<12} {value:.3f}")
    # --8<-- [end:run]

    # --8<-- [start:artifacts]
    artifacts = mlflow.artifacts.list_artifacts(run_id=run.info.run_id)
    print("Artefacts du run :", [artifact.path for artifact in artifacts])
    # --8<-- [end:artifacts]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
