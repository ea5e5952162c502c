"""Diagnostic du poste d'un apprenant, à lancer depuis son dossier de travail.

En ligne de commande : python -m snippets.diagnostic [--port 5000]

Affiche la version de MLflow, l'URI de suivi et d'où elle vient, l'état du magasin
(expériences, runs), un ancien magasin ./mlruns à côté de mlflow.db et l'état du port
du Tracking UI ; pour chaque problème trouvé, la solution. Code de sortie : 0 sans
problème, 1 sinon. Le diagnostic n'écrit rien : il ne crée pas de mlflow.db.
"""

import os
import platform
import socket
import textwrap
import urllib.request
from collections import Counter
from pathlib import Path

from snippets.cli import (
    FrenchArgumentParser,
    course_version,
    port_number,
    port_owner_command,
    store_problem,
    unset_command,
)
from snippets.tracking import FROM_COURSE, resolve_tracking_uri, sqlite_path

COURSE_MLFLOW_VERSION = course_version("mlflow")  # celle de requirements.txt
STATUSES = ("FINISHED", "RUNNING", "FAILED", "KILLED")


def wrap(text, first="     "):
    """Le texte coupé à 92 colonnes, sans couper une commande à ses tirets."""
    return textwrap.fill(
        text,
        92,
        initial_indent=first,
        subsequent_indent="     ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def count(number, word):
    """« 1 run », « 3 runs », « 0 run » : le pluriel français commence à 2."""
    return f"{number} {word}{'s' if number >= 2 else ''}"


class Report:
    """Les lignes affichées et les problèmes trouvés, chacun avec sa solution."""

    def __init__(self):
        self.problems = []

    def line(self, label, text):
        print(f"  {label:<22} {text}")

    def problem(self, summary, fix):
        self.problems.append((summary, fix))


def tracking_uri_and_source():
    """L'URI des commandes du cours et sa source ; par défaut, mlflow.db du dossier
    courant, en chemin absolu : celui d'où l'on lance le diagnostic."""
    uri, source = resolve_tracking_uri()
    if source == FROM_COURSE:
        uri = f"sqlite:///{sqlite_path(uri)}"
    return uri, source


def server_answers(url, timeout=5):
    """Le texte de url si un serveur y répond 200, sinon None."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode(errors="replace").strip()
    except (OSError, ValueError):
        return None


def check_versions(report):
    import mlflow
    import sklearn

    report.line("Python", platform.python_version())
    report.line(
        "MLflow", f"{mlflow.__version__} (version du cours : {COURSE_MLFLOW_VERSION})"
    )
    report.line("scikit-learn", sklearn.__version__)
    if mlflow.__version__ != COURSE_MLFLOW_VERSION:
        report.problem(
            f"MLflow {mlflow.__version__} est installé, le cours est écrit pour "
            f"MLflow {COURSE_MLFLOW_VERSION} : l'interface et les messages peuvent "
            "différer.",
            "dans l'environnement virtuel du cours, depuis le dossier du cours : "
            "pip install -e .",
        )


def store_is_reachable(report, uri):
    """Vrai si le magasin se lit sans rien y créer ; sinon, dit pourquoi."""
    problem = store_problem(uri)  # une URI qui ne peut pas marcher, dite en secondes
    if problem:
        summary, _, fix = problem.partition("\n")
        report.line("Magasin", "inutilisable avec cette URI")
        report.problem(summary, fix[0].lower() + fix[1:])
        return False
    if uri.startswith("sqlite:///"):
        path = sqlite_path(uri)
        if not path.exists():
            report.line("Magasin", f"absent : {path} n'existe pas")
            report.problem(
                f"Aucune base {path} : aucun run n'a encore été enregistré depuis "
                "ce dossier.",
                "lancez les commandes du cours, puis mlflow ui, depuis le dossier "
                "où se trouve mlflow.db (ou lancez-les d'abord ici).",
            )
            return False
    elif uri.startswith(("http://", "https://")):
        if server_answers(f"{uri.rstrip('/')}/health") is None:
            report.line("Magasin", "injoignable : aucun serveur ne répond")
            report.problem(
                f"Le serveur de suivi {uri} ne répond pas.",
                "lancez-le (mlflow server --port 5000) ou corrigez l'adresse ; pour "
                "revenir à mlflow.db du dossier courant : "
                f"{unset_command('MLFLOW_TRACKING_URI')}.",
            )
            return False
    elif uri.startswith("databricks"):
        from snippets.databricks_tracking import profile_names

        wanted = uri.partition("://")[2] or os.environ.get("DATABRICKS_CONFIG_PROFILE")
        wanted, names = wanted or "DEFAULT", profile_names()
        if os.environ.get("DATABRICKS_HOST"):
            where = "variables DATABRICKS_HOST et DATABRICKS_TOKEN"
        else:
            where = f"profil {wanted}" if wanted in names else None
        report.line(
            "Magasin", f"Databricks ({where or 'aucune authentification trouvée'})"
        )
        if where is None and names:
            report.problem(
                f"Le profil {wanted} n'est pas dans ~/.databrickscfg, qui contient : "
                f"{', '.join(names)}.",
                "nommez le vôtre : python -m snippets.databricks_tracking --profile "
                f"{names[0]}, la variable DATABRICKS_CONFIG_PROFILE ou l'URI "
                f"databricks://{names[0]}.",
            )
        elif where is None:
            report.problem(
                "URI databricks sans authentification : ni DATABRICKS_HOST, "
                "ni ~/.databrickscfg.",
                'databricks auth login --host "https://<votre-espace>.cloud.databricks.com"',
            )
        return (
            False  # pas de connexion depuis le diagnostic : elle peut demander un jeton
        )
    return True


def describe_store(report, uri):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        client = MlflowClient(uri)
        experiments = client.search_experiments()
        counts = {}
        for experiment in experiments:
            runs, token = [], None
            while True:
                page = client.search_runs(
                    [experiment.experiment_id], max_results=1000, page_token=token
                )
                runs += page
                token = page.token
                if not token:
                    break
            counts[experiment.name] = Counter(run.info.status for run in runs)
    except MlflowException as error:
        report.line("Magasin", "illisible")
        report.problem(
            f"MLflow ne peut pas lire le magasin {uri} : {str(error).splitlines()[0]}",
            "vérifiez l'URI de suivi ; voir la page « Dépannage » du cours.",
        )
        return
    total = sum(sum(count.values()) for count in counts.values())
    report.line(
        "Magasin",
        f"joignable : {count(len(counts), 'expérience')}, {count(total, 'run')}",
    )
    for name, statuses in counts.items():
        detail = ", ".join(f"{s} {statuses[s]}" for s in STATUSES if statuses[s])
        runs = count(sum(statuses.values()), "run")
        print(f"      {name:<30} {runs:>9}" + (f" ({detail})" if detail else ""))
    if (
        counts.get("Default") is not None
        and total == sum(counts["Default"].values()) > 0
    ):
        report.problem(
            "Tous les runs sont dans l'expérience Default : le script n'a pas choisi "
            "d'expérience.",
            "appelez mlflow.set_experiment(...) avant mlflow.start_run().",
        )


def legacy_mlruns():
    """Les expériences d'un ancien magasin en fichiers ./mlruns (meta.yaml)."""
    folder = Path("mlruns")
    if not folder.is_dir():
        return []
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.is_dir() and entry.name.isdigit() and (entry / "meta.yaml").exists()
    )


def check_legacy_mlruns(report, uri):
    found = legacy_mlruns()
    report.line(
        "Ancien ./mlruns",
        f"oui : {count(len(found), 'expérience')}" if found else "non",
    )
    if found:
        beside = " à côté de mlflow.db" if Path("mlflow.db").exists() else ""
        report.problem(
            f"Un ancien magasin en fichiers ./mlruns{beside} : MLflow le prend par "
            "défaut quand aucune URI n'est donnée, et refuse de s'en servir depuis "
            "MLflow 3.13 ; mlflow ui lancé ici sans option montrerait ce magasin, "
            "pas mlflow.db.",
            "nommez toujours le magasin : mlflow ui --backend-store-uri "
            "sqlite:///mlflow.db ; pour garder les anciens runs : mlflow "
            "migrate-filestore --source . --target sqlite:///anciens-runs.db "
            "(page « Dépannage »).",
        )


def check_port(report, port):
    with socket.socket() as sock:
        sock.settimeout(2)
        listening = sock.connect_ex(("127.0.0.1", port)) == 0
    if not listening:
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port))
        except OSError:
            listening = True
    if not listening:
        report.line(f"Port {port}", "libre pour mlflow ui")
        return
    if server_answers(f"http://127.0.0.1:{port}/health") == "OK":
        version = server_answers(f"http://127.0.0.1:{port}/version") or "?"
        report.line(f"Port {port}", f"un serveur MLflow {version} y répond déjà")
        return
    report.line(f"Port {port}", "occupé par un autre programme")
    report.problem(
        f"Le port {port} est pris par un autre programme (sur macOS, souvent le "
        "récepteur AirPlay) : mlflow ui ne pourra pas s'y lancer.",
        f"lancez mlflow ui --port {port + 1} ; {port_owner_command(port)} nomme le "
        "programme.",
    )


def main(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.diagnostic",
        description="Diagnostic MLflow du dossier courant.",
    )
    parser.add_argument(
        "--port", type=port_number, default=5000, help="port du Tracking UI"
    )
    args = parser.parse_args(argv)

    print(f"Diagnostic MLflow du dossier {Path.cwd()}")
    report = Report()
    check_versions(report)
    uri, source = tracking_uri_and_source()
    report.line("URI de suivi", uri)
    report.line("", f"({source})")
    if store_is_reachable(report, uri):
        describe_store(report, uri)
    check_legacy_mlruns(report, uri)
    check_port(report, args.port)

    print()
    if not report.problems:
        print("Aucun problème trouvé.")
        return 0
    found = count(len(report.problems), "problème")
    print(f"{found} trouvé{'s' if len(report.problems) >= 2 else ''} :")
    for number, (summary, fix) in enumerate(report.problems, start=1):
        print(wrap(f"{number}. {summary}", first="  "))
        print(wrap(f"Solution : {fix}"))
    return 1
