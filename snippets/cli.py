"""Les commandes `python -m snippets.…` du cours face aux pannes : un serveur de suivi
injoignable les arrête en quelques secondes, Ctrl+C laisse le run en cours KILLED,
et les erreurs connues sont expliquées en français, sans trace d'appel.
"""

import argparse
import os
import re
import sys
from pathlib import Path

COURSE_PACKAGE = "cours-mlflow-tracking"  # le nom du paquet dans pyproject.toml


def fail_fast():
    """Ramène l'attente d'un serveur injoignable à quelques secondes."""
    # --8<-- [start:fail_fast]
    import os

    # Par défaut, MLflow réessaie sept fois une requête vers un serveur de suivi, en
    # doublant l'attente à chaque fois : environ quatre minutes avant l'erreur. Ces
    # variables, lues à chaque requête, ramènent l'attente à quelques secondes quand le
    # serveur est arrêté (sauf si vous les avez déjà définies).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")  # un nouvel essai
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")  # après 1 s
    # Délai de réponse : assez long pour un serveur chargé, car une requête sans
    # réponse est renvoyée, et un run pourrait alors être créé deux fois.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")  # secondes
    # --8<-- [end:fail_fast]


def course_version(name):
    """La version de name épinglée par le cours : celle de requirements.txt, lue dans le
    dossier du cours, sinon dans les métadonnées du paquet installé ; None si aucune."""
    from importlib.metadata import PackageNotFoundError, requires

    requirements = Path(__file__).resolve().parent.parent / "requirements.txt"
    if requirements.exists():
        lines = requirements.read_text().splitlines()
    else:
        try:
            lines = requires(COURSE_PACKAGE) or []
        except PackageNotFoundError:
            lines = []
    for line in lines:
        match = re.match(rf"{re.escape(name)}(\[[^\]]*\])?==(\S+)", line, re.I)
        if match:
            return match[2]
    return None


def on_windows():
    """Vrai sous Windows : les conseils affichés y sont des commandes PowerShell."""
    return os.name == "nt"


def unset_command(name):
    """La commande qui retire la variable name du terminal de l'apprenant."""
    return f"Remove-Item Env:{name}" if on_windows() else f"unset {name}"


def port_owner_command(port):
    """La commande qui nomme le programme qui écoute sur port."""
    if on_windows():
        return f"Get-NetTCPConnection -LocalPort {port} -State Listen"
    return f"lsof -i :{port}"


INTERRUPTED = 130  # le code de sortie d'usage après Ctrl+C


class FrenchArgumentParser(argparse.ArgumentParser):
    """Erreurs de saisie en français, sans trace d'appel, code de sortie 2."""

    # Les messages qu'argparse écrit lui-même, en anglais.
    TRANSLATIONS = {
        r"^argument (\S+): ": r"argument \1 : ",
        r"expected one argument": "une valeur est attendue",
        r"^unrecognized arguments: ": "arguments inconnus : ",
    }

    def format_usage(self):
        return super().format_usage().replace("usage: ", "utilisation : ", 1)

    def format_help(self):
        help_text = super().format_help().replace("usage: ", "utilisation : ", 1)
        help_text = help_text.replace("options:", "options :")
        return help_text.replace(
            "show this help message and exit", "affiche cette aide"
        )

    def error(self, message):
        for english, french in self.TRANSLATIONS.items():
            message = re.sub(english, french, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"Erreur : {message}\n")


def check_store():
    """Dans votre propre script, avant MLflow : l'URI de suivi vérifiée en quelques
    secondes (page « Dépannage »)."""
    # --8<-- [start:check_store]
    import os
    import sys

    from snippets.cli import store_problem

    problem = store_problem(os.environ.get("MLFLOW_TRACKING_URI", ""))
    if problem:
        sys.exit(problem)  # le message en français, au lieu de deux minutes d'essais
    # --8<-- [end:check_store]


def positive_int(text):
    """Un entier strictement positif (une option de la ligne de commande)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"« {text} » n'est pas un entier strictement positif (exemple : 3)."
        )
    return value


def port_number(text):
    """Un numéro de port TCP, de 1 à 65535."""
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un port (1 à 65535).")
    return value


def explain(error, uri):
    """Le message français d'une erreur de MLflow prévue, sur l'URI de suivi uri, sinon
    None."""
    text = str(error)
    if "Reading Databricks credential configuration failed" in text:
        return (
            f"Aucun identifiant Databricks trouvé pour l'URI de suivi {uri}.\n"
            "Connectez-vous (databricks auth login --host https://<votre-espace>), "
            "puis nommez le profil : databricks://<profil> ; ou définissez "
            "DATABRICKS_HOST et DATABRICKS_TOKEN ;\n"
            f"ou {unset_command('MLFLOW_TRACKING_URI')} pour écrire dans mlflow.db du "
            "dossier courant (page « Dépannage », section « Databricks »)."
        )
    cause = re.search(r"\[Errno -?\d+\][^\"')]*|Read timed out", text)
    if "API request to" in text and (
        "Max retries exceeded" in text or "timed out" in text.lower()
    ):
        if uri.startswith("databricks"):
            fix = (
                "Vérifiez l'adresse de l'espace : le host du profil dans\n"
                "~/.databrickscfg, ou DATABRICKS_HOST ;\n"
            )
        else:
            fix = (
                "Lancez-le d'abord (mlflow server --port 5000) et vérifiez "
                "l'adresse ;\n"
            )
        return (
            f"Le serveur de suivi {uri} ne répond pas.\n{fix}"
            "pour écrire dans mlflow.db du dossier courant : "
            f"{unset_command('MLFLOW_TRACKING_URI')}.\n"
            f"Cause : {cause.group(0) if cause else text.splitlines()[0]}"
        )
    return None


# Les schémas d'URI de suivi que MLflow ouvre, et le port par défaut des bases.
SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks")
DATABASE_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433}
TROUBLESHOOTING = "page « Dépannage », section « L'URI de suivi »"


def valid_host(host):
    """Un nom d'hôte ou une adresse IP qu'on peut joindre par son écriture."""
    if ":" in host:  # une adresse IPv6, entre crochets dans l'URI
        return True
    labels = host.removesuffix(".").split(".")
    return all(
        label and label.replace("-", "").replace("_", "").isalnum() for label in labels
    )


def address_problem(uri, scheme):
    """Ce qui manque à l'adresse d'un serveur ou d'une base dans uri, en français ; None
    si elle est bien écrite (qu'elle réponde ou non)."""
    from urllib.parse import urlsplit

    examples = {
        "http": "http://127.0.0.1:5000",
        "https": "https://mlflow.mon-ecole.fr",
        "databricks": "databricks ou databricks://<profil>",
    }
    example = examples.get(
        scheme, f"{scheme}://utilisateur:mot-de-passe@hôte:port/base"
    )
    if scheme == "databricks":
        profile = uri.strip().partition("://")[2]
        if uri.strip().lower() == "databricks" or (profile and "/" not in profile):
            return None
        return f"L'URI de suivi « {uri} » est mal écrite : elle s'écrit {example}."
    if scheme not in ("http", "https", *DATABASE_PORTS):
        return None
    if "://" not in uri:
        return (
            f"L'URI de suivi « {uri} » ne nomme pas de serveur : elle s'écrit "
            f"{scheme}:// suivi de l'hôte, par exemple {example}."
        )
    parts = urlsplit(uri)
    try:
        if parts.port == 0:  # hors de 0 à 65535, urllib lève déjà ValueError
            raise ValueError(parts.port)
    except ValueError:
        return (
            f"L'URI de suivi « {uri} » a un port qui n'est pas un nombre de 1 à 65535."
        )
    if parts.netloc.endswith(":"):
        return f"L'URI de suivi « {uri} » a un port vide, après « : »."
    host = parts.hostname  # sans hôte, une base passe par une socket locale : MLflow
    if not host or not valid_host(host):  # la réessaie deux minutes si elle est éteinte
        return (
            f"L'URI de suivi « {uri} » ne nomme pas de serveur valide après "
            f"{scheme}://, par exemple {example}."
        )
    return None


def store_problem(uri, timeout=5):
    """Ce qui empêche l'URI de suivi uri de marcher, en français avec la solution ; None
    si rien ne l'empêche. Répond en quelques secondes et ne crée rien : appelez-la avant
    que MLflow n'ouvre le magasin (il crée la base SQLite et ses dossiers, et réessaie
    une base de données injoignable pendant près de deux minutes)."""
    import socket
    from urllib.parse import urlsplit

    unset = unset_command("MLFLOW_TRACKING_URI")
    if not uri.strip():
        return None  # une variable vide compte comme absente
    try:
        scheme = urlsplit(uri).scheme.split("+")[0]  # MLflow distingue les majuscules
    except ValueError as error:  # des crochets mal fermés, par exemple
        return (
            f"L'URI de suivi « {uri} » n'est pas une URI valide ({error}).\n"
            f"Corrigez-la, ou {unset} pour écrire dans mlflow.db du dossier courant "
            f"({TROUBLESHOOTING})."
        )
    if uri.strip().lower() == "databricks":  # l'URI sans profil
        scheme = "databricks"
    if scheme in ("", "file") or len(scheme) == 1:  # un chemin, ou C:\… sous Windows
        return (
            f"L'URI de suivi « {uri} » désigne un magasin de fichiers (./mlruns), "
            "que MLflow 3 n'ouvre plus (« The filesystem tracking backend (e.g., "
            "'./mlruns') is in maintenance mode »).\nConvertissez-le en base SQLite : "
            "mlflow migrate-filestore --source . --target sqlite:///mlflow.db (page "
            f"« Venir de MLflow 2 ») ; ou {unset} pour écrire dans mlflow.db du "
            "dossier courant."
        )
    if scheme not in SCHEMES:
        return (
            f"L'URI de suivi « {uri} » commence par « {scheme}: », un schéma que "
            f"MLflow ne connaît pas ; il connaît {', '.join(SCHEMES)}.\nCorrigez l'URI "
            f"(http://127.0.0.1:5000 pour un serveur local), ou {unset} pour écrire "
            f"dans mlflow.db du dossier courant ({TROUBLESHOOTING})."
        )
    problem = address_problem(uri, scheme)
    if problem:
        return f"{problem}\nCorrigez-la, ou {unset} pour écrire dans mlflow.db du " + (
            f"dossier courant ({TROUBLESHOOTING})."
        )
    if scheme == "sqlite":
        if not uri.startswith("sqlite:///"):
            return (
                f"L'URI de suivi « {uri} » ne nomme pas de fichier : une base SQLite "
                "s'écrit sqlite:/// (trois barres obliques) suivi de son chemin, par "
                "exemple sqlite:///mlflow.db.\nCorrigez-la, ou "
                f"{unset} pour écrire dans mlflow.db du dossier courant "
                f"({TROUBLESHOOTING})."
            )
        path = uri.split("///", 1)[-1].split("?")[0]
        if path in ("", ":memory:"):
            return None
        path = Path(path).expanduser().absolute()
        if path.is_dir():
            return (
                f"L'URI de suivi « {uri} » désigne le dossier {path}, pas un fichier "
                "de base.\nAjoutez le nom du fichier, par exemple "
                f"{path / 'mlflow.db'} ({TROUBLESHOOTING})."
            )
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                return (
                    f"L'URI de suivi « {uri} » place la base dans {parent}, qui est un "
                    "fichier et non un dossier.\nCorrigez le chemin de l'URI, ou "
                    f"{unset} pour écrire dans mlflow.db du dossier courant "
                    f"({TROUBLESHOOTING})."
                )
        return None
    if scheme in DATABASE_PORTS:
        try:
            parts = urlsplit(uri)
            host, port = parts.hostname, parts.port or DATABASE_PORTS[scheme]
            socket.create_connection((host, port), timeout=timeout).close()
        except (OSError, UnicodeError, ValueError) as error:
            where = f"{host}:{port}" if "port" in locals() else uri
            reason = getattr(error, "strerror", None) or error
            return (
                f"La base de données {where} de l'URI de suivi ne répond pas "
                f"({reason}).\nDémarrez-la, ou vérifiez l'hôte et le port de l'URI ; "
                f"{unset} pour écrire dans mlflow.db du dossier courant "
                f"({TROUBLESHOOTING})."
            )
    return None


def follow_environment(tracking_uri=None):
    """Les commandes suivent l'URI de leur option --tracking-uri, sinon
    MLFLOW_TRACKING_URI, et MLFLOW_EXPERIMENT_NAME, s'ils sont définis (un serveur
    partagé, une expérience par apprenant) : setup_tracking les prend alors à la place
    des valeurs de la page « Premier run ». Rend l'URI suivie."""
    from snippets.tracking import follow, resolve_experiment, resolve_tracking_uri

    uri, _ = resolve_tracking_uri(tracking_uri)
    follow(uri, resolve_experiment())
    return uri


def mark_interrupted_run_killed():
    """Après Ctrl+C : le run que l'interruption a terminé passe de FAILED à KILLED."""
    import mlflow

    while mlflow.active_run() is not None:  # un Ctrl+C hors d'un bloc with
        mlflow.end_run(status="KILLED")
    last = mlflow.last_active_run()
    if last is not None and last.info.status == "FAILED":
        mlflow.MlflowClient().set_terminated(last.info.run_id, status="KILLED")


INTERRUPTED_RUN = "Interrompu (Ctrl+C) : le run en cours est marqué KILLED dans MLflow."
SWEEP_RESUMES = "Relancez la commande : le balayage reprend là où il s'est arrêté."


def run_command(
    main, *args, interrupted=INTERRUPTED_RUN, check_store=True, tracking_uri=None
):
    """Lance main(*args) comme une commande du cours : l'environnement suivi, les
    erreurs prévues en français, codes de sortie 1 (erreur) et 130 (interruption) ;
    interrupted est le message affiché après Ctrl+C. check_store=False pour une
    commande qui n'écrit pas dans le magasin de MLFLOW_TRACKING_URI ; tracking_uri,
    celle que donne l'option --tracking-uri de la commande."""
    from mlflow.exceptions import MlflowException

    fail_fast()
    uri = follow_environment(tracking_uri)  # l'URI de la commande, résolue une fois
    problem = check_store and store_problem(uri)
    if problem:
        print(f"Erreur : {problem}", file=sys.stderr)
        sys.exit(1)
    try:
        main(*args)
    except KeyboardInterrupt:
        mark_interrupted_run_killed()
        print(f"\n{interrupted}", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except MlflowException as error:
        message = explain(error, uri)
        if message is None:
            raise
        print(f"Erreur : {message}", file=sys.stderr)
        sys.exit(1)
