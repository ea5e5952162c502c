"""Page « Serveur de suivi partagé » : un compte par apprenant sur un serveur lancé avec
--app-name basic-auth, créé par l'administrateur.

En ligne de commande, avec MLFLOW_TRACKING_URI, et MLFLOW_TRACKING_USERNAME et
MLFLOW_TRACKING_PASSWORD de l'administrateur, définis :
    python -m snippets.shared_server alice bob
"""

# --8<-- [start:accounts]
import os
import secrets

from mlflow.server import get_app_client


def create_accounts(names, server_uri=None):
    """Crée un compte par nom sur server_uri (défaut : MLFLOW_TRACKING_URI) ;
    renvoie {nom: mot de passe}, à transmettre à chacun. L'administrateur
    s'identifie par MLFLOW_TRACKING_USERNAME et MLFLOW_TRACKING_PASSWORD."""
    server_uri = server_uri or os.environ["MLFLOW_TRACKING_URI"]
    auth_client = get_app_client("basic-auth", tracking_uri=server_uri)
    passwords = {}
    for name in names:
        passwords[name] = secrets.token_urlsafe(12)  # 16 caractères (12 au minimum)
        auth_client.create_user(username=name, password=passwords[name])
    return passwords


# --8<-- [end:accounts]


def main(argv=None):
    import sys

    from snippets.cli import FrenchArgumentParser

    parser = FrenchArgumentParser(
        prog="python -m snippets.shared_server",
        description="Crée un compte par apprenant et affiche son mot de passe.",
    )
    parser.add_argument("names", nargs="+", metavar="NOM", help="nom d'un apprenant")
    args = parser.parse_args(argv)
    if "MLFLOW_TRACKING_URI" not in os.environ:
        parser.error("définissez d'abord MLFLOW_TRACKING_URI (l'adresse du serveur).")
    uri = os.environ["MLFLOW_TRACKING_URI"]
    if not uri.startswith(("http://", "https://")):
        print(
            "Erreur : les comptes se créent sur un serveur de suivi, et "
            f"« {uri} » n'en est pas un.\nDonnez son adresse dans "
            "MLFLOW_TRACKING_URI, par exemple http://mlflow.mon-ecole.fr:5000 "
            "(section 5 de la page).",
            file=sys.stderr,
        )
        sys.exit(1)
    for name, password in create_accounts(args.names).items():
        print(f"{name:<20} {password}")


if __name__ == "__main__":
    import sys

    from snippets.cli import run_command

    run_command(main, sys.argv[1:])
