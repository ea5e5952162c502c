"""Page « Implémentation sur Databricks » : le balayage du cours, suivi dans un
espace de travail Databricks, depuis un notebook Databricks ou depuis votre machine.

En ligne de commande : python -m snippets.databricks_tracking [--experiment CHEMIN]
"""

import sys

# --8<-- [start:imports]
import mlflow
from databricks.sdk.core import Config

# --8<-- [end:imports]
from snippets.cli import FrenchArgumentParser
from snippets.data import load_data
from snippets.first_run import setup_tracking
from snippets.sweep import run_sweep, select_best_run, sweep_runs
from snippets.train import parse_gamma, train_and_log

# --8<-- [start:credentials]
LOGIN_HELP = """Aucun identifiant Databricks trouvé. Connectez-vous ainsi :
  - databricks auth login --host https://<votre-espace>.cloud.databricks.com
    (écrit un profil dans ~/.databrickscfg) ;
  - ou définissez les variables DATABRICKS_HOST et DATABRICKS_TOKEN ;
  - ou, dans Python, appelez mlflow.login(), qui les demande."""


def require_databricks_credentials():
    """S'arrête, avec la marche à suivre, si aucun identifiant n'est trouvé."""
    try:
        Config()  # les variables DATABRICKS_*, sinon un profil de ~/.databrickscfg
    except ValueError:
        raise SystemExit(LOGIN_HELP) from None


# --8<-- [end:credentials]

# --8<-- [start:experiment]
# Un chemin de l'espace de travail : /Users/<votre e-mail>/... ou /Shared/...
experiment_path = "/Shared/svm-cancer-du-sein"
# --8<-- [end:experiment]


# --8<-- [start:sweep]
def sweep_on_databricks(experiment_path):
    """Le balayage dans l'espace de travail, puis le modèle du meilleur réglage."""
    experiment = setup_tracking(
        tracking_uri="databricks", experiment_name=experiment_path
    )
    new_run_ids = run_sweep()
    best = select_best_run(sweep_runs())
    run_id, model_info = train_and_log(
        C=float(best["params.C"]),
        gamma=parse_gamma(best["params.gamma"]),
        run_name="meilleur-reglage",
    )
    print(f"Expérience : {experiment.name} (id {experiment.experiment_id})")
    print(
        f"{len(new_run_ids)} nouveaux runs ; meilleur réglage : C={best['params.C']}, "
        f"gamma={best['params.gamma']}"
    )
    print(f"Modèle : {model_info.model_uri} (run {run_id})")
    return model_info


# --8<-- [end:sweep]


def parse_args(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.databricks_tracking",
        description="Lance le balayage du cours et le suit dans un espace Databricks.",
    )
    parser.add_argument(
        "--experiment",
        default=experiment_path,
        help=f"chemin de l'expérience (défaut : {experiment_path})",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    experiment_path = args.experiment
    # --8<-- [start:check]
    require_databricks_credentials()
    # --8<-- [end:check]

    # --8<-- [start:run]
    model_info = sweep_on_databricks(experiment_path)
    # --8<-- [end:run]

    # --8<-- [start:load]
    loaded = mlflow.pyfunc.load_model(model_info.model_uri)
    X_train, X_test, y_train, y_test = load_data()
    print("Prédictions du modèle rechargé :", loaded.predict(X_test.head(5)).tolist())
    # --8<-- [end:load]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main, sys.argv[1:])
