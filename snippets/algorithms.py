"""Page « Comparer plusieurs algorithmes » : sept familles de modèles entraînées sur le
même découpage, un run chacune dans une même expérience, avec les sept métriques, la
matrice de confusion et un modèle.

En ligne de commande : python -m snippets.algorithms
"""

# --8<-- [start:imports]
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

# --8<-- [end:imports]
from snippets.data import RANDOM_STATE, load_data
from snippets.first_run import setup_tracking
from snippets.metrics import log_evaluation
from snippets.sweep import REQUIREMENTS

# --8<-- [start:families]
ALGORITHMS_EXPERIMENT = "algorithmes-cancer-du-sein"


def model_families(seed=RANDOM_STATE):
    """Les sept familles, standardisées quand l'échelle des variables compte."""
    return {
        "reseau-de-neurones": make_pipeline(
            StandardScaler(), MLPClassifier(max_iter=2000, random_state=seed)
        ),
        "arbre-de-decision": DecisionTreeClassifier(random_state=seed),
        "bayesien-naif": GaussianNB(),
        "k-plus-proches-voisins": make_pipeline(
            StandardScaler(), KNeighborsClassifier()
        ),
        "regression-logistique": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ),
        "foret-aleatoire": RandomForestClassifier(random_state=seed),
        "svm-rbf": make_pipeline(StandardScaler(), SVC(kernel="rbf")),
    }


# --8<-- [end:families]


# --8<-- [start:loss_curve]
def log_loss_curve(losses):
    """La métrique loss du run actif, une valeur par époque : son historique."""
    now = int(time.time() * 1000)  # l'heure de l'enregistrement, en millisecondes
    history = [Metric("loss", loss, now, step) for step, loss in enumerate(losses)]
    # Toute la courbe en un seul envoi ; mlflow.log_metric("loss", loss, step=step)
    # dans une boucle enregistre la même chose, en une écriture par époque.
    MlflowClient().log_batch(mlflow.active_run().info.run_id, metrics=history)


# --8<-- [end:loss_curve]


# --8<-- [start:train_family]
# Le format skops refuse les types qu'il ne sait pas vérifier : l'optimiseur du réseau
# de neurones et les arbres doivent être déclarés sûrs, sinon log_model lève une
# MlflowException. Ne déclarez sûrs que des modèles que vous avez entraînés vous-même.
TREE = "sklearn.tree._tree.Tree"
TRUSTED_TYPES = {
    "reseau-de-neurones": [
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer"
    ],
    "arbre-de-decision": [TREE],
    "foret-aleatoire": [TREE],
}


def train_family(name, model, data):
    """Un run par famille : son nom, ses sept métriques, sa matrice et son modèle."""
    X_train, X_test, y_train, y_test = data
    with mlflow.start_run(run_name=name) as run:
        mlflow.set_tag("model_family", name)
        estimator = model.steps[-1][1] if hasattr(model, "steps") else model
        mlflow.log_param("algorithm", type(estimator).__name__)
        model.fit(X_train, y_train)
        # Le réseau de neurones apprend par époques : sa perte, époque par époque.
        if hasattr(estimator, "loss_curve_"):
            log_loss_curve(estimator.loss_curve_)
        log_evaluation(model, X_test, y_test)
        mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=X_train.head(5),
            pip_requirements=REQUIREMENTS,  # déclarées (page « Comparer les runs »)
            skops_trusted_types=TRUSTED_TYPES.get(name),
        )
    return run.info.run_id


# --8<-- [end:train_family]


def main():
    # --8<-- [start:run]
    setup_tracking(experiment_name=ALGORITHMS_EXPERIMENT)
    data = load_data()  # le même découpage pour les sept familles
    run_ids = {}
    for name, model in model_families().items():
        run_ids[name] = train_family(name, model, data)
    # --8<-- [end:run]

    # --8<-- [start:history]
    history = MlflowClient().get_metric_history(run_ids["reseau-de-neurones"], "loss")
    history = sorted(history, key=lambda metric: metric.step)
    steps = f"étapes {history[0].step} à {history[-1].step}"
    print(f"{len(history)} valeurs de loss, {steps}")
    for metric in history[:3] + history[-3:]:
        print(f"étape {metric.step:>3}   loss {metric.value:.4f}")
    # --8<-- [end:history]

    # --8<-- [start:compare]
    runs = mlflow.search_runs(
        filter_string="attributes.status = 'FINISHED'",
        order_by=["metrics.sensitivity DESC", "metrics.specificity DESC"],
    )
    columns = ["tags.model_family", "metrics.sensitivity", "metrics.specificity"]
    columns += ["metrics.accuracy"]
    table = runs[columns].rename(columns=lambda name: name.split(".", 1)[1])
    print(table.round(3).to_string(index=False))
    # --8<-- [end:compare]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
