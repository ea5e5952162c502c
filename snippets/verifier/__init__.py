"""Vérifiez votre travail : relit votre magasin de suivi et dit, pour chaque étape du
cours et chaque exercice, « fait », « pas encore » ou « à revoir », avec un indice.

La vérification recalcule elle-même ce qu'elle attend (elle réentraîne les modèles
avec les paramètres de vos runs, sur le découpage du cours) et ne fait que lire : elle
ne crée ni mlflow.db, ni run, ni expérience.

En ligne de commande :
python -m snippets.verifier [--page NOM] [--tracking-uri URI] [--experiment NOM]
                            [--json]

Le paquet : command (la commande), oracle (ce que le cours attend, recalculé), items
(les verdicts et les contrôles communs), checks (une page du cours par module).
"""

from snippets.tracking import COURSE_EXPERIMENT
from snippets.tracking import open_read_only as open_store
from snippets.verifier.command import PAGES, main, parse_args, report, verify

__all__ = ["COURSE_EXPERIMENT", "PAGES", "main", "open_store", "parse_args", "report"]
__all__ += ["verify"]
