"""Page « Implémentation sur Databricks » : le balayage du cours, suivi dans un
espace de travail Databricks, depuis un notebook Databricks ou depuis votre machine.

En ligne de commande :
python -m snippets.databricks_tracking [--profile NOM] [--experiment CHEMIN]
"""

# --8<-- [start:imports]
import configparser
import os
from pathlib import Path

import mlflow
from databricks.sdk.core import Config

# --8<-- [end:imports]
from snippets.cli import FrenchArgumentParser
from snippets.data import load_data
from snippets.first_run import setup_tracking
from snippets.sweep import run_sweep, select_best_run, sweep_runs
from snippets.train import parse_gamma, train_and_log

# --8<-- [start:credentials]
# --8<-- [start:profile]
# Le profil de ~/.databrickscfg à utiliser, par son nom (databricks auth profiles
# les liste). None : celui que nomme l'environnement, sinon le profil DEFAULT.
profile = None


def databricks_tracking_uri(profile=None):
    """L'URI de suivi : databricks://<profil> si un profil est donné ; sinon
    MLFLOW_TRACKING_URI s'il nomme un profil ; sinon databricks, qui prend le profil
    de DATABRICKS_CONFIG_PROFILE, ou DEFAULT."""
    if profile:
        return f"databricks://{profile}"
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    return uri if uri.startswith("databricks://") else "databricks"


# --8<-- [end:profile]
# --8<-- [start:login]
LOGIN_HELP = """Aucun identifiant Databricks trouvé. Connectez-vous ainsi :
  - installez la CLI Databricks (Homebrew, winget ou le script install.sh de
    Databricks), puis lancez
    databricks auth login --host "https://<votre-espace>.cloud.databricks.com"
    et passez le profil qu'elle écrit à l'option --profile <nom> ;
  - ou définissez les variables DATABRICKS_HOST et DATABRICKS_TOKEN ;
  - ou, dans Python, appelez mlflow.login(), qui les demande."""


def profile_names():
    """Les profils de ~/.databrickscfg (ou du fichier DATABRICKS_CONFIG_FILE)."""
    path = os.environ.get("DATABRICKS_CONFIG_FILE", "~/.databrickscfg")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(Path(path).expanduser())  # un fichier absent : aucun profil
    names = [name for name in parser.sections() if name != "__settings__"]
    return ["DEFAULT", *names] if parser.defaults() else names


def login_help(profile, error):
    """Le message d'arrêt : que faire, d'après les profils trouvés."""
    names, wanted = profile_names(), profile or "DEFAULT"
    if not names:
        return LOGIN_HELP
    if wanted in names:  # le profil existe mais ne suffit pas : connexion expirée ?
        return (
            f"Le profil {wanted} ne permet pas de se connecter : {error}\n"
            f"Reconnectez-vous : databricks auth login --profile {wanted}"
        )
    if profile:
        intro = f"Le profil {profile} est introuvable."
    else:
        intro = "Aucun profil choisi, et aucun profil DEFAULT."
    name = names[0]
    return f"""{intro} Profils trouvés : {", ".join(names)}.
Choisissez-en un, par exemple {name} :
  - l'option --profile {name} de python -m snippets.databricks_tracking ;
  - ou la variable d'environnement DATABRICKS_CONFIG_PROFILE, qui vaut {name} ;
  - ou l'URI de suivi databricks://{name} (variable MLFLOW_TRACKING_URI) ;
  - ou, dans Python : profile = "{name}", avant la vérification."""


def require_databricks_credentials(tracking_uri):
    """S'arrête, avec la marche à suivre, si le profil choisi (ou les variables
    DATABRICKS_*) ne donne aucun identifiant."""
    profile = tracking_uri.partition("://")[2]
    profile = profile or os.environ.get("DATABRICKS_CONFIG_PROFILE")
    try:
        Config(profile=profile)  # sans profil : les variables DATABRICKS_*, ou DEFAULT
    except ValueError as error:
        raise SystemExit(login_help(profile, error)) from None


# --8<-- [end:login]
# --8<-- [end:credentials]

# --8<-- [start:experiment]
# Un chemin de l'espace de travail : /Users/<votre e-mail>/... ou /Shared/...
experiment_path = "/Shared/svm-cancer-du-sein"
# --8<-- [end:experiment]


# --8<-- [start:sweep]
def sweep_on_databricks(experiment_path, tracking_uri="databricks"):
    """Le balayage dans l'espace de travail, puis le modèle du meilleur réglage."""
    experiment = setup_tracking(
        tracking_uri=tracking_uri, experiment_name=experiment_path
    )
    new_run_ids = run_sweep()
    best = select_best_run(sweep_runs())
    run_id, model_info = train_and_log(
        C=float(best["params.C"]),
        gamma=parse_gamma(best["params.gamma"]),
        run_name="meilleur-reglage",
    )
    print(f"URI de suivi : {tracking_uri}")
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
        "--profile",
        default=profile,
        metavar="NOM",
        help="profil de ~/.databrickscfg à utiliser (URI de suivi databricks://NOM) ; "
        "défaut : celui de DATABRICKS_CONFIG_PROFILE ou de MLFLOW_TRACKING_URI, "
        "sinon DEFAULT",
    )
    parser.add_argument(
        "--experiment",
        default=experiment_path,
        metavar="CHEMIN",
        help=f"chemin de l'expérience (défaut : {experiment_path})",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    experiment_path, profile = args.experiment, args.profile
    # --8<-- [start:check]
    tracking_uri = databricks_tracking_uri(profile)
    require_databricks_credentials(tracking_uri)
    # --8<-- [end:check]

    # --8<-- [start:run]
    model_info = sweep_on_databricks(experiment_path, tracking_uri)
    # --8<-- [end:run]

    # --8<-- [start:load]
    loaded = mlflow.pyfunc.load_model(model_info.model_uri)
    X_train, X_test, y_train, y_test = load_data()
    print("Prédictions du modèle rechargé :", loaded.predict(X_test.head(5)).tolist())
    # --8<-- [end:load]


if __name__ == "__main__":
    from snippets.cli import INTERRUPTED_RUN, SWEEP_RESUMES, run_command

    run_command(main, interrupted=f"{INTERRUPTED_RUN}\n{SWEEP_RESUMES}")
