"""La machinerie du site, rangée par rôle :
- tooling.website : la génération du matériel du site (generation, la commande
  python -m tooling.generate), ses étapes (steps/, une par module), leur ordonnanceur
  (scheduler), leurs empreintes (cache_key), l'exécution des pages et des notebooks comme
  par un apprenant (runner, maintainer_tools), les notebooks (notebook_builder), les
  figures (figures) ;
- tooling.captures : ce qu'on tire du site ou du Tracking UI par un vrai navigateur, les
  captures d'écran (ui_tour) et le polycopié en PDF (polycopie) ;
- tooling.measures : les mesures publiées dans measurements/, la construction du site
  (build_benchmark) et l'essai de charge d'une classe (class_benchmark) ;
- tooling.servers : de vrais processus et serveurs sur 127.0.0.1 (processes), le serveur de
  la page « Serveur de suivi partagé » (page_server) ;
- et, partagés par tous et par les tests : le lecteur des sections des pages (sections) et
  les versions du cours (versions).

Jamais importée par snippets/ (le cours), qui doit rester lisible et installable seul. Aucun
module ne porte le nom d'un module de snippets/.
"""

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command_line(module, description):
    """L'analyseur des options de la commande python -m <module> ; module : son nom, ou
    le __spec__ du module de la commande."""
    name = getattr(module, "name", module)
    return argparse.ArgumentParser(prog=f"python -m {name}", description=description)
