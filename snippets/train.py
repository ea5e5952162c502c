"""Un run MLflow complet : paramètres, sept métriques, matrice de confusion et modèle.

En ligne de commande : python -m snippets.train --C 1.0 --gamma scale [--kernel rbf]
"""

import argparse

# --8<-- [start:imports]
import mlflow

# --8<-- [end:imports]
from snippets.cli import FrenchArgumentParser
from snippets.data import load_data
from snippets.first_run import build_model, setup_tracking
from snippets.metrics import log_evaluation


# --8<-- [start:train_and_log]
def train_and_log(
    C=1.0,
    gamma="scale",
    kernel="rbf",
    log_model=True,
    tags=None,
    run_name=None,
    pip_requirements=None,
):
    """Entraîne un SVM dans un nouveau run et y enregistre tout.

    Renvoie (run_id, model_info) ; model_info vaut None sans modèle. Sans
    pip_requirements, MLflow déduit lui-même les dépendances du modèle (plusieurs
    secondes : voir la page « Performances »).
    """
    X_train, X_test, y_train, y_test = load_data()
    # En sortie du bloc with, une exception termine le run en FAILED (jamais RUNNING).
    with mlflow.start_run(run_name=run_name or f"svm-C{C}-gamma{gamma}") as run:
        mlflow.set_tags(tags or {})
        mlflow.log_params({"C": C, "gamma": gamma, "kernel": kernel})
        model = build_model(C, gamma, kernel).fit(X_train, y_train)
        log_evaluation(model, X_test, y_test)
        model_info = None
        if log_model:
            model_info = mlflow.sklearn.log_model(
                model,
                name="model",
                input_example=X_train.head(5),
                pip_requirements=pip_requirements,
            )
    return run.info.run_id, model_info


# --8<-- [end:train_and_log]

KERNELS = ("rbf", "linear", "poly", "sigmoid")


# --8<-- [start:parse_gamma]
def parse_gamma(text):
    """Lit gamma : « scale », « auto » ou un nombre fini strictement positif."""
    if text in ("scale", "auto"):
        return text
    value = float(text)
    if not 0 < value < float("inf"):  # ni nul, ni négatif, ni infini, ni nan
        raise ValueError(text)
    return value


# --8<-- [end:parse_gamma]


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"« {text} » n'est pas un nombre fini strictement positif (exemple : 1.0)."
        )
    return value


def gamma_arg(text):
    try:
        return parse_gamma(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"« {text} » ne convient pas : donnez scale, auto "
            "ou un nombre fini strictement positif."
        ) from None


def kernel_arg(text):
    if text not in KERNELS:
        raise argparse.ArgumentTypeError(
            f"noyau « {text} » inconnu : choisissez parmi {', '.join(KERNELS)}."
        )
    return text


def parse_args(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.train",
        description="Entraîne un SVM et enregistre le run dans MLflow.",
    )
    parser.add_argument(
        "--C", type=positive_float, default=1.0, help="régularisation (> 0)"
    )
    parser.add_argument(
        "--gamma", type=gamma_arg, default="scale", help="scale, auto ou > 0"
    )
    parser.add_argument(
        "--kernel", type=kernel_arg, default="rbf", help=", ".join(KERNELS)
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    experiment = setup_tracking()
    run_id, model_info = train_and_log(args.C, args.gamma, args.kernel)
    metrics = mlflow.get_run(run_id).data.metrics
    print(f"Expérience : {experiment.name}  |  run : {run_id}")
    for name in sorted(metrics):
        print(f"  {name:<12} {metrics[name]:.3f}")
    print(f"Modèle : {model_info.model_uri}")


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
