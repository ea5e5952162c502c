"""python -m snippets.verifier : les options, les vérifications des pages demandées et
le bilan, en texte ou en JSON.
"""

import json
import sys
from dataclasses import asdict
from urllib.parse import urlparse

from snippets.cli import FrenchArgumentParser
from snippets.tracking import (
    COURSE_EXPERIMENT,
    StoreError,
    open_read_only,
    quiet,
    resolve_experiment,
    resolve_tracking_uri,
)
from snippets.verifier import checks  # noqa: F401 (enregistre les vérifications)
from snippets.verifier.items import CHECKS, DONE, REVIEW, TODO, Item, NotYet
from snippets.verifier.oracle import Course


def verify(store, pages=None, course=None):
    """Les vérifications des pages demandées (toutes par défaut), dans l'ordre du
    cours."""
    course = course or Course()
    on_server = urlparse(store.uri).scheme in ("http", "https", "databricks")
    items = []
    for page, key, title, experiment, server_only, function in CHECKS:
        if pages and page not in pages:
            continue
        if not pages and page == "databricks-tracking":
            continue  # les mêmes runs que le balayage, dans un espace Databricks
        if server_only and not on_server:
            continue
        # Avec --experiment, seules les étapes de l'expérience du cours sont lues.
        if store.course_experiment != COURSE_EXPERIMENT and experiment is not None:
            continue
        try:
            status, detail, hint = function(store, course)
        except NotYet as not_yet:
            status, detail, hint = not_yet.verdict
        items.append(Item(page, key, title, status, detail, hint))
    return items


PAGES = sorted({page for page, *_ in CHECKS}, key=[p for p, *_ in CHECKS].index)


def report(items, uri, out=None):
    """Une ligne par étape, son verdict d'abord, l'indice dessous ; puis le bilan."""
    out = out or sys.stdout
    print(f"Magasin de suivi : {uri}", file=out)
    width = max(len(DONE), len(TODO), len(REVIEW))
    for item in items:
        print(f"{item.status:<{width}}  {item.title} : {item.detail}", file=out)
        if item.hint:
            print(f"{'':<{width}}  → {item.hint}", file=out)
    tally = ", ".join(
        f"{status} {sum(item.status == status for item in items)}"
        for status in (DONE, TODO, REVIEW)
    )
    plural = "s" if len(items) > 1 else ""
    print(f"Bilan : {tally} ({len(items)} étape{plural} vérifiée{plural}).", file=out)


def parse_args(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.verifier",
        description="Vérifie votre travail dans votre magasin de suivi, sans rien "
        "y écrire.",
    )
    parser.add_argument(
        "--page",
        action="append",
        choices=PAGES,
        metavar="NOM",
        help=f"une page seulement (répétable) : {', '.join(PAGES)}",
    )
    parser.add_argument(
        "--tracking-uri",
        help="le magasin à lire (défaut : MLFLOW_TRACKING_URI, sinon mlflow.db)",
    )
    parser.add_argument(
        "--experiment",
        help="l'expérience du cours à lire, à la place de svm-cancer-du-sein "
        "(les pages « Aller plus loin » gardent les leurs et ne sont pas vérifiées)",
    )
    parser.add_argument("--json", action="store_true", help="le résultat en JSON")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    quiet()
    uri, _ = resolve_tracking_uri(args.tracking_uri)
    experiment = resolve_experiment(args.experiment)
    try:
        store = open_read_only(uri, experiment)
    except StoreError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    items = verify(store, args.page)
    if not items:
        print(
            "Erreur : aucune étape à vérifier. Les pages « Aller plus loin » gardent "
            "leurs propres expériences :\nretirez --experiment pour les vérifier.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        result = {
            "tracking_uri": uri,
            "experiment": experiment,
            "items": [asdict(item) for item in items],
        }
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        report(items, uri)  # l'URI telle que vous l'avez donnée
        if not args.page or "exercises" in args.page:
            if urlparse(store.uri).scheme == "sqlite":
                print(
                    "L'exercice 6 se vérifie sur le serveur : python -m "
                    "snippets.verifier --tracking-uri http://127.0.0.1:5000 "
                    "--page exercises"
                )
    return 0 if all(item.status == DONE for item in items) else 1
