"""Page « Régler sans tricher » : une étude Optuna sur C et gamma, jugée par validation
croisée sur la seule partie d'entraînement ; un run parent pour l'étude, un run enfant par essai.

En ligne de commande : python -m snippets.tuning
"""

# --8<-- [start:imports]
import mlflow
import optuna
from sklearn.model_selection import StratifiedKFold, cross_val_score

# --8<-- [end:imports]
from snippets.first_run import build_model

# --8<-- [start:objective]
CV = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)  # les mêmes plis à chaque essai


def suggest_params(trial):
    """Les réglages qu'Optuna propose, sur une échelle logarithmique."""
    return {
        "C": trial.suggest_float("C", 1e-2, 1e3, log=True),
        "gamma": trial.suggest_float("gamma", 1e-4, 1e0, log=True),
    }


def cv_score(params, X_train, y_train):
    """L'exactitude équilibrée moyenne des cinq plis, sur l'entraînement seulement."""
    scores = cross_val_score(
        build_model(**params), X_train, y_train, cv=CV, scoring="balanced_accuracy"
    )
    return scores.mean()


def make_objective(X_train, y_train):
    """L'objectif d'Optuna : un essai = un réglage, noté par validation croisée."""

    def objective(trial):
        return cv_score(suggest_params(trial), X_train, y_train)

    return objective


# --8<-- [end:objective]
