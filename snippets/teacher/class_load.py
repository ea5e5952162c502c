"""La charge d'une classe : N apprenants lancent en même temps le balayage du cours sur
le serveur de suivi, chacun dans son propre processus et sa propre expérience, comme
python -m snippets.sweep dans leur terminal ; puis le compte de ce que le serveur a
enregistré.

Chaque apprenant attend 21 runs : les 20 réglages du balayage et le run du modèle du
meilleur réglage. Un run perdu est un réglage sans run terminé ; un run en double, un
run de plus pour le même réglage. Une requête en échec est une requête renvoyée par
MLflow après une erreur (connexion coupée, délai dépassé, réponse 5xx ou 429), ou celle
qui a arrêté un apprenant. Le temps par run est celui que MLflow a enregistré, du début
à la fin de chaque run du balayage.

Sur un serveur avec comptes (basic-auth), l'administrateur se donne par
MLFLOW_TRACKING_USERNAME et MLFLOW_TRACKING_PASSWORD : l'essai crée un compte par
apprenant, puis le supprime. Les expériences de l'essai (charge-<date>-<numéro>) sont
supprimées à la fin, sauf avec --keep.

En ligne de commande :
python -m snippets.teacher.class_load --tracking-uri URL --learners N [--keep] [--json]
Code de sortie : 0 si rien n'est perdu ni doublé et qu'aucun apprenant n'a échoué,
1 sinon.
"""

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

from snippets.cli import FrenchArgumentParser, positive_int
from snippets.sweep import C_VALUES, GAMMA_VALUES, SWEEP_TAG
from snippets.tracking import FROM_COURSE, resolve_tracking_uri

BEST_RUN = "meilleur-reglage"  # le nom du run du modèle, dans le balayage du cours
SETTINGS = [(str(C), str(gamma)) for C, gamma in product(C_VALUES, GAMMA_VALUES)]
RUNS_PER_LEARNER = len(SETTINGS) + 1
# Un apprenant : le balayage du cours, tel que python -m snippets.sweep le lance.
LEARNER = "from snippets.teacher.class_load import learner; learner()"
STATS = "essai.json"  # ce que chaque apprenant rapporte, dans son dossier


class RetryCounter(logging.Handler):
    """Compte les requêtes que MLflow renvoie : urllib3 note chaque nouvel essai."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if str(record.msg).startswith(("Retrying", "Retry:")):
            self.count += 1


def learner():
    """Un apprenant de l'essai, dans son propre processus et son dossier : le balayage
    du cours ; écrit ensuite dans essai.json son code de sortie et ses requêtes
    renvoyées."""
    import runpy

    counter = RetryCounter()
    connections = logging.getLogger("urllib3.connectionpool")
    connections.setLevel(logging.DEBUG)
    connections.addHandler(counter)
    code = 0
    try:
        sys.argv = ["snippets.sweep"]
        runpy.run_module("snippets.sweep", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
        if isinstance(exit.code, str):
            print(exit.code, file=sys.stderr)
    except BaseException:
        code = 1
        raise
    finally:
        Path(STATS).write_text(json.dumps({"code": code, "retried": counter.count}))
    sys.exit(code)


@dataclass
class Tally:
    """Ce que le serveur a enregistré pour les expériences de l'essai."""

    learners: int
    expected: int = 0
    recorded: int = 0
    lost: int = 0
    duplicated: int = 0
    unfinished: int = 0
    run_seconds: list = field(default_factory=list)  # les runs terminés du balayage
    model_run_seconds: list = field(default_factory=list)


def key_of(run):
    """Le réglage d'un run du balayage, BEST_RUN pour le run du modèle, sinon None."""
    if run.data.tags.get("sweep") == SWEEP_TAG["sweep"]:
        return run.data.params.get("C"), run.data.params.get("gamma")
    if run.info.run_name == BEST_RUN:
        return BEST_RUN
    return None


def tally(client, experiment_names):
    """Compte, pour chaque expérience, les runs attendus, enregistrés, perdus (un
    réglage sans run terminé), en double (un run de plus pour un même réglage) et
    inachevés ; avec la durée enregistrée de chaque run terminé."""
    result = Tally(learners=len(experiment_names))
    for name in experiment_names:
        result.expected += RUNS_PER_LEARNER
        experiment = client.get_experiment_by_name(name)
        runs = []
        if experiment is not None:
            runs = client.search_runs([experiment.experiment_id], max_results=1000)
        result.recorded += len(runs)
        by_key = {}
        for run in runs:
            by_key.setdefault(key_of(run), []).append(run)
            if run.info.status != "FINISHED":
                result.unfinished += 1
            elif run.info.end_time:
                seconds = (run.info.end_time - run.info.start_time) / 1000
                if key_of(run) == BEST_RUN:
                    result.model_run_seconds.append(seconds)
                else:
                    result.run_seconds.append(seconds)
        for key in [*SETTINGS, BEST_RUN]:
            found = by_key.pop(key, [])
            if not any(run.info.status == "FINISHED" for run in found):
                result.lost += 1
            result.duplicated += max(0, len(found) - 1)
        # Un run qui n'est ni un réglage attendu ni le modèle : un run de trop.
        result.duplicated += sum(len(extra) for extra in by_key.values())
    return result


def median(values):
    return statistics.median(values) if values else None


def percentile_95(values):
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def seconds_text(value):
    """Une durée en français : « 1,2 s », « 3 min 05 s »."""
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.1f} s".replace(".", ",")
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest:02d} s"


def check_server(uri):
    """Un message français si uri n'est pas un serveur de suivi qui répond ; sinon,
    None."""
    from snippets.cli import store_problem

    problem = store_problem(uri)
    if problem:
        return problem
    if not uri.startswith(("http://", "https://")):
        return (
            f"l'essai de charge s'adresse à un serveur de suivi, et « {uri} » n'en est "
            "pas un.\nDonnez son adresse, par exemple --tracking-uri "
            "http://mlflow.mon-ecole.fr:5000."
        )
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=5) as response:
            if response.status == 200:
                return None
    except (OSError, ValueError) as error:
        return (
            f"le serveur {uri} ne répond pas ({error}).\nLancez-le, ou vérifiez "
            "l'adresse (section 4 de la page « Serveur de suivi partagé »)."
        )
    return f"{uri}/health ne répond pas 200 : est-ce un serveur MLflow ?"


def uses_accounts(uri):
    """Vrai si le serveur demande un compte (basic-auth). Avec le compte de
    l'administrateur, vérifie qu'il peut créer ceux des apprenants."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(uri)
    try:
        client.search_experiments(max_results=1)
    except MlflowException as error:
        if "error code 401" not in str(error):
            raise
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        refused = f"refuse le compte « {user} » : vérifiez" if user else (
            "demande un compte : définissez"
        )  # fmt: skip
        raise SystemExit(
            f"Erreur : le serveur {uri} {refused} MLFLOW_TRACKING_USERNAME et "
            "MLFLOW_TRACKING_PASSWORD (le compte de l'administrateur)."
        ) from None
    if not os.environ.get("MLFLOW_TRACKING_USERNAME"):
        return False  # un serveur sans comptes
    from mlflow.server import get_app_client

    try:
        user = get_app_client("basic-auth", tracking_uri=uri).get_user(
            os.environ["MLFLOW_TRACKING_USERNAME"]
        )
    except MlflowException as error:
        if "error code 404" in str(error) or "ENDPOINT_NOT_FOUND" in str(error):
            return False  # des identifiants donnés, mais un serveur sans comptes
        if "error code 403" not in str(error):
            raise
        user = None
    if user is None or not user.is_admin:
        raise SystemExit(
            f"Erreur : le compte « {os.environ['MLFLOW_TRACKING_USERNAME']} » n'est "
            "pas administrateur : il ne peut pas créer les comptes des apprenants de "
            "l'essai.\nDonnez celui de l'administrateur dans MLFLOW_TRACKING_USERNAME "
            "et MLFLOW_TRACKING_PASSWORD."
        )
    return True


def learner_environment(uri, experiment, account=None):
    """Le terminal d'un apprenant de l'essai : l'adresse du serveur, son expérience, son
    compte ; aucune autre variable MLFLOW_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(
        MLFLOW_TRACKING_URI=uri, MLFLOW_EXPERIMENT_NAME=experiment, MPLBACKEND="Agg"
    )
    if account:
        env.update(
            MLFLOW_TRACKING_USERNAME=account[0], MLFLOW_TRACKING_PASSWORD=account[1]
        )
    return env


def run_class(uri, names, passwords, folder):
    """Lance un processus par apprenant, tous en même temps, et les attend ; renvoie
    (secondes, [(nom, code, requêtes renvoyées, dernière ligne d'erreur)])."""
    processes = {}
    started = time.monotonic()
    try:
        for name in names:
            work = folder / name
            work.mkdir()
            account = (name, passwords[name]) if passwords else None
            with open(work / "sortie.txt", "wb") as output:
                processes[name] = subprocess.Popen(
                    [sys.executable, "-c", LEARNER],
                    cwd=work, env=learner_environment(uri, name, account),
                    stdout=output, stderr=subprocess.STDOUT,
                )  # fmt: skip
        for process in processes.values():
            process.wait()
    finally:  # Ctrl+C : les apprenants l'ont reçu aussi ; on les attend
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    seconds = time.monotonic() - started
    outcomes = []
    for name, process in processes.items():
        stats_file = folder / name / STATS
        stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        lines = (folder / name / "sortie.txt").read_text(errors="replace").splitlines()
        errors = [line for line in lines if line.strip()]
        code = process.returncode
        last = errors[-1] if code and errors else ""
        outcomes.append((name, code, stats.get("retried", 0), last))
    return seconds, outcomes


def clean_up(uri, names, accounts):
    """Supprime les expériences et les comptes de l'essai (ceux qui existent)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(uri)
    for name in names:
        experiment = client.get_experiment_by_name(name)
        if experiment is not None and experiment.lifecycle_stage == "active":
            client.delete_experiment(experiment.experiment_id)
    if accounts:
        from mlflow.server import get_app_client

        auth_client = get_app_client("basic-auth", tracking_uri=uri)
        for name in names:
            try:
                auth_client.delete_user(name)
            except MlflowException:
                pass  # un compte que l'essai n'a pas eu le temps de créer


def summary(uri, experiments, counted, seconds, outcomes, accounts, kept):
    """Le résultat de l'essai, en un dictionnaire (la sortie --json)."""
    failed = [(name, last) for name, code, _, last in outcomes if code]
    return {
        "tracking_uri": uri,
        "learners": counted.learners,
        "experiments": experiments,
        "accounts": accounts,
        "runs_expected": counted.expected,
        "runs_recorded": counted.recorded,
        "runs_lost": counted.lost,
        "runs_duplicated": counted.duplicated,
        "runs_unfinished": counted.unfinished,
        "failed_requests": sum(retried for _, _, retried, _ in outcomes) + len(failed),
        "failed_learners": [
            {"experiment": name, "error": last} for name, last in failed
        ],
        "run_seconds_median": median(counted.run_seconds),
        "run_seconds_p95": percentile_95(counted.run_seconds),
        "model_run_seconds_median": median(counted.model_run_seconds),
        "total_seconds": seconds,
        "kept": kept,
    }


def report(result, out=None):
    """Le résultat de l'essai, à lire."""
    out = out or sys.stdout
    lines = [
        f"Essai de charge : {result['learners']} apprenants, le balayage du cours "
        f"({RUNS_PER_LEARNER} runs chacun), en même temps, sur {result['tracking_uri']}"
        + (" (un compte chacun)" if result["accounts"] else ""),
        "",
        f"Runs attendus          {result['runs_expected']}",
        f"Runs enregistrés       {result['runs_recorded']}",
        f"Runs perdus            {result['runs_lost']}",
        f"Runs en double         {result['runs_duplicated']}",
        f"Runs inachevés         {result['runs_unfinished']}",
        f"Requêtes en échec      {result['failed_requests']}",
        f"Apprenants en échec    {len(result['failed_learners'])}",
        f"Temps par run          médiane {seconds_text(result['run_seconds_median'])}, "
        f"95e centile {seconds_text(result['run_seconds_p95'])} "
        f"(run du modèle : médiane {seconds_text(result['model_run_seconds_median'])})",
        f"Temps total            {seconds_text(result['total_seconds'])}",
    ]
    for failure in result["failed_learners"][:3]:
        lines.append(f"  {failure['experiment']} : {failure['error']}")
    lines.append("")
    if result["kept"]:
        names = result["experiments"]
        lines.append(f"Expériences gardées : {names[0]} à {names[-1]}.")
    else:
        if result["accounts"]:
            removed = "Expériences et comptes de l'essai supprimés"
        else:
            removed = "Expériences de l'essai supprimées"
        lines.append(f"{removed} (--keep pour les garder).")
    if ok(result):
        lines.append("Rien de perdu ni de doublé : le serveur tient cette classe.")
    else:
        lines.append(
            "Des runs perdus ou doublés, ou des apprenants en échec : ce serveur ne "
            "tient pas cette classe telle quelle (page « Serveur de suivi partagé », "
            "section « Dimensionner le serveur »)."
        )
    print("\n".join(lines), file=out)


def ok(result):
    return not (
        result["runs_lost"] or result["runs_duplicated"] or result["failed_learners"]
    )


def parse_args(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.teacher.class_load",
        description="Essai de charge : N apprenants lancent le balayage du cours en "
        "même temps sur le serveur de suivi, puis le compte de ce qu'il a enregistré.",
    )
    parser.add_argument(
        "--tracking-uri",
        metavar="URL",
        help="l'adresse du serveur (défaut : MLFLOW_TRACKING_URI)",
    )
    parser.add_argument(
        "--learners", type=positive_int, default=30, metavar="N",
        help="le nombre d'apprenants (défaut : 30)",
    )  # fmt: skip
    parser.add_argument(
        "--keep",
        action="store_true",
        help="garder les expériences et comptes de l'essai",
    )
    parser.add_argument("--json", action="store_true", help="le résultat en JSON")
    return parser.parse_args(argv)


def main(argv=None):
    from mlflow import MlflowClient

    args = parse_args(argv)
    uri, source = resolve_tracking_uri(args.tracking_uri)
    if source == FROM_COURSE:  # l'essai se fait sur un serveur, pas sur mlflow.db
        print(
            "Erreur : donnez l'adresse du serveur : --tracking-uri "
            "http://mlflow.mon-ecole.fr:5000 (ou MLFLOW_TRACKING_URI).",
            file=sys.stderr,
        )
        return 1
    uri = uri.rstrip("/")
    problem = check_server(uri)
    if problem:
        print(f"Erreur : {problem}", file=sys.stderr)
        return 1
    accounts = uses_accounts(uri)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    names = [f"charge-{stamp}-{i:02d}" for i in range(1, args.learners + 1)]
    passwords = {}
    try:
        if accounts:
            from snippets.shared_server import create_accounts

            passwords = create_accounts(names, uri)
        with tempfile.TemporaryDirectory(prefix="essai-de-charge-") as folder:
            seconds, outcomes = run_class(uri, names, passwords, Path(folder))
        counted = tally(MlflowClient(uri), names)
    finally:
        if not args.keep:
            clean_up(uri, names, accounts)
    result = summary(uri, names, counted, seconds, outcomes, bool(passwords), args.keep)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        report(result)
    return 0 if ok(result) else 1


if __name__ == "__main__":
    from snippets.cli import run_command

    argv = sys.argv[1:]
    run_command(
        lambda: sys.exit(main(argv)),
        tracking_uri=parse_args(argv).tracking_uri,
        interrupted="Interrompu (Ctrl+C) : les apprenants de l'essai sont arrêtés, "
        "leurs expériences et comptes supprimés.",
    )
