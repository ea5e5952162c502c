"""Le classement de la classe : le meilleur run terminé de chaque expérience
d'apprenant, puis les expériences rangées, la meilleure d'abord.

Le critère est celui de la page « Comparer les runs » (select_best_run) : la plus
grande exactitude équilibrée, moyenne de la sensibilité et de la spécificité
enregistrées, puis la plus grande sensibilité. Un run sans l'une de ces deux
métriques est ignoré. Ex æquo : deux expériences au même score ont le même rang
(1, 1, 3), dans l'ordre de leurs noms ; dans une expérience, le run lancé le premier
l'emporte. Une expérience sans run terminé qui porte les deux métriques est nommée
après le tableau, avec la raison.

Le classement ne fait que lire : il ne crée ni mlflow.db, ni run, ni expérience.

En ligne de commande (MLFLOW_TRACKING_URI, sinon mlflow.db du dossier courant ; un
compte par MLFLOW_TRACKING_USERNAME et MLFLOW_TRACKING_PASSWORD) :
python -m snippets.teacher.leaderboard [--prefix PRÉFIXE] [--tracking-uri URI] [--json]
"""

import json
import math
import os
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from snippets.cli import FrenchArgumentParser
from snippets.tracking import (
    COURSE_EXPERIMENT,
    StoreError,
    open_read_only,
    quiet,
    resolve_tracking_uri,
    sqlite_path,
)

FINISHED = "FINISHED"
PAGE_SIZE = 1000  # résultats par requête au magasin
CHUNK = 100  # expériences par recherche de runs


@dataclass
class Entry:
    """Une ligne du classement : une expérience et son meilleur run."""

    rank: int
    experiment: str
    experiment_id: str
    run_id: str
    run_name: str
    C: str | None
    gamma: str | None
    sensitivity: float
    specificity: float
    balanced_accuracy: float


@dataclass
class Unranked:
    """Une expérience sans rang, et pourquoi."""

    experiment: str
    experiment_id: str
    reason: str


@dataclass
class Board:
    entries: list = field(default_factory=list)
    unranked: list = field(default_factory=list)
    names: list = field(default_factory=list)  # toutes les expériences du magasin


def score(metrics):
    """(exactitude équilibrée, sensibilité) d'un run, ou None s'il manque l'une des
    deux métriques."""
    sensitivity = metrics.get("sensitivity")
    specificity = metrics.get("specificity")
    if sensitivity is None or specificity is None:
        return None
    if not math.isfinite(sensitivity + specificity):
        return None
    # L'arrondi évite qu'une erreur d'arrondi des flottants départage deux ex æquo.
    return round((sensitivity + specificity) / 2, 10), round(sensitivity, 10)


def best_run(runs):
    """Le meilleur run terminé qui porte les deux métriques, sinon None. À score égal :
    le run lancé le premier, puis le plus petit identifiant."""
    candidates = [
        run
        for run in runs
        if run.info.status == FINISHED and score(run.data.metrics) is not None
    ]
    if not candidates:
        return None

    def order(run):
        balanced, sensitivity = score(run.data.metrics)
        return -balanced, -sensitivity, run.info.start_time or 0, run.info.run_id

    return min(candidates, key=order)


def rank(bests):
    """bests : [(expérience, run)]. Les lignes du classement, la meilleure d'abord ;
    les ex æquo ont le même rang (1, 1, 3), dans l'ordre de leurs noms."""

    def order(item):
        experiment, run = item
        balanced, sensitivity = score(run.data.metrics)
        return -balanced, -sensitivity, experiment.name

    entries, previous = [], None
    for position, (experiment, run) in enumerate(sorted(bests, key=order), start=1):
        current = score(run.data.metrics)
        metrics, params = run.data.metrics, run.data.params
        entries.append(
            Entry(
                rank=entries[-1].rank if current == previous else position,
                experiment=experiment.name,
                experiment_id=experiment.experiment_id,
                run_id=run.info.run_id,
                run_name=run.info.run_name,
                C=params.get("C"),
                gamma=params.get("gamma"),
                sensitivity=metrics["sensitivity"],
                specificity=metrics["specificity"],
                balanced_accuracy=(metrics["sensitivity"] + metrics["specificity"]) / 2,
            )
        )
        previous = current
    return entries


def why_unranked(runs):
    """La raison, en français, pour une expérience sans meilleur run."""
    finished = sum(run.info.status == FINISHED for run in runs)
    if finished:
        runs_word = "run terminé" if finished == 1 else "runs terminés"
        return (
            "aucun run terminé avec sensibilité et spécificité "
            f"({finished} {runs_word} sans elles)"
        )
    if not runs:
        return "aucun run"
    statuses = sorted(Counter(run.info.status for run in runs).items())
    return f"aucun run terminé ({', '.join(f'{n} {s}' for s, n in statuses)})"


def every(search, **query):
    """Tous les résultats d'une recherche de MLflow, page après page."""
    token = None
    while True:
        page = search(max_results=PAGE_SIZE, page_token=token, **query)
        yield from page
        token = page.token
        if not token:
            return


def learner_experiments(client, prefix=None):
    """Les expériences à classer, avec leurs runs : celles dont le nom commence par
    prefix, sinon toutes celles qui ont un run terminé. Renvoie aussi les noms de
    toutes les expériences."""
    experiments = sorted(every(client.search_experiments), key=lambda e: e.name)
    names = [experiment.name for experiment in experiments]
    if prefix is not None:
        experiments = [e for e in experiments if e.name.startswith(prefix)]
    runs = {experiment.experiment_id: [] for experiment in experiments}
    ids = list(runs)
    for start in range(0, len(ids), CHUNK):
        for run in every(client.search_runs, experiment_ids=ids[start : start + CHUNK]):
            runs[run.info.experiment_id].append(run)
    found = [(experiment, runs[experiment.experiment_id]) for experiment in experiments]
    if prefix is None:
        found = [
            (experiment, runs_of)
            for experiment, runs_of in found
            if any(run.info.status == FINISHED for run in runs_of)
        ]
    return found, names


def leaderboard(client, prefix=None):
    """Le classement des expériences d'apprenants lues par client."""
    found, names = learner_experiments(client, prefix)
    bests, unranked = [], []
    for experiment, runs in found:
        run = best_run(runs)
        if run is None:
            unranked.append(
                Unranked(experiment.name, experiment.experiment_id, why_unranked(runs))
            )
        else:
            bests.append((experiment, run))
    return Board(rank(bests), unranked, names)


COLUMNS = {
    "rank": "rang",
    "experiment": "expérience",
    "run_name": "run",
    "C": "C",
    "gamma": "gamma",
    "sensitivity": "sensibilité",
    "specificity": "spécificité",
    "balanced_accuracy": "exactitude équilibrée",
}
TEXT_COLUMNS = ("experiment", "run_name", "C", "gamma")  # alignées à gauche


def cell(entry, key):
    value = getattr(entry, key)
    if value is None:
        return "—"  # un paramètre absent du run
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def table(entries):
    """Le tableau du classement, en colonnes alignées."""
    rows = [[cell(entry, key) for key in COLUMNS] for entry in entries]
    widths = [
        max(len(title), *(len(row[i]) for row in rows))
        for i, title in enumerate(COLUMNS.values())
    ]

    def line(values):
        return "  ".join(
            value.ljust(width) if key in TEXT_COLUMNS else value.rjust(width)
            for key, value, width in zip(COLUMNS, values, widths, strict=True)
        ).rstrip()

    return [line(list(COLUMNS.values())), *(line(row) for row in rows)]


def shown_uri(uri):
    """L'URI sans son mot de passe (celui d'une base PostgreSQL, par exemple)."""
    parts = urlsplit(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@", 1)
    return uri


def report(board, uri, prefix=None, out=None):
    """Le classement en texte : le tableau, puis les expériences sans rang."""
    out = out or sys.stdout
    print(f"Magasin de suivi : {shown_uri(uri)}", file=out)
    if prefix is None:
        chosen = "Expériences qui ont un run terminé"
    else:
        chosen = f"Expériences dont le nom commence par « {prefix} »"
    count = len(board.entries) + len(board.unranked)
    if not count:
        if prefix is None:
            print("Aucune expérience n'a de run terminé.", file=out)
        else:
            present = ", ".join(board.names) or "aucune"
            print(
                f"Aucune expérience ne commence par « {prefix} ».\n"
                f"Expériences présentes : {present}.",
                file=out,
            )
        return
    print(f"{chosen} : {count}, dont {len(board.entries)} classées.", file=out)
    print(
        "Critère : exactitude équilibrée (moyenne de la sensibilité et de la "
        "spécificité), puis sensibilité.",
        file=out,
    )
    if board.entries:
        print(file=out)
        print("\n".join(table(board.entries)), file=out)
        print(
            "Ex æquo : même rang, par ordre alphabétique ; dans une expérience, le "
            "premier run lancé l'emporte.",
            file=out,
        )
    if board.unranked:
        print(file=out)
        print("Sans rang :", file=out)
        for item in board.unranked:
            print(f"  {item.experiment} : {item.reason}", file=out)


def parse_args(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.teacher.leaderboard",
        description="Classe les expériences des apprenants par leur meilleur run, "
        "sans rien écrire dans le magasin.",
    )
    parser.add_argument(
        "--prefix",
        metavar="PRÉFIXE",
        help="seulement les expériences dont le nom commence ainsi "
        "(défaut : toutes celles qui ont un run terminé)",
    )
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="le magasin à lire (défaut : MLFLOW_TRACKING_URI, sinon mlflow.db)",
    )
    parser.add_argument("--json", action="store_true", help="le résultat en JSON")
    return parser.parse_args(argv)


def open_class_store(uri):
    """Le magasin de la classe, ouvert en lecture ; StoreError si on ne peut pas le
    lire."""
    if uri.startswith("sqlite:") and not sqlite_path(uri).is_file():
        raise StoreError(
            f"Aucun magasin de suivi ici : {sqlite_path(uri)} n'existe pas.\n"
            "Définissez MLFLOW_TRACKING_URI (l'adresse du serveur de la classe), ou "
            "lancez le classement depuis le dossier qui contient mlflow.db."
        )
    try:
        # Avec l'expérience du cours, open_read_only n'exige aucune expérience précise.
        return open_read_only(uri, COURSE_EXPERIMENT)
    except StoreError as error:
        if "error code 401" not in str(error):
            raise
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        if user:
            refused = f"refuse le compte « {user} » : vérifiez"
        else:
            refused = "demande un compte : définissez"
        raise StoreError(
            f"Le serveur {uri} {refused} MLFLOW_TRACKING_USERNAME et "
            f"MLFLOW_TRACKING_PASSWORD.\nRéponse du serveur : {error}"
        ) from None


def main(argv=None):
    args = parse_args(argv)
    quiet()
    uri, _ = resolve_tracking_uri(args.tracking_uri)
    try:
        store = open_class_store(uri)
    except StoreError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    board = leaderboard(store.client, args.prefix)
    if args.json:
        print(json.dumps({"tracking_uri": shown_uri(uri), "prefix": args.prefix,
                          "ranking": [asdict(entry) for entry in board.entries],
                          "unranked": [asdict(item) for item in board.unranked]},
                         ensure_ascii=False, indent=1))  # fmt: skip
    else:
        report(board, uri, args.prefix)
    return 0


if __name__ == "__main__":
    from snippets.cli import run_command

    argv = sys.argv[1:]
    run_command(
        lambda: sys.exit(main(argv)),
        tracking_uri=parse_args(argv).tracking_uri,
        interrupted="Interrompu (Ctrl+C) : rien n'a été écrit.",
    )
