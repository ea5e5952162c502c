"""Les versions du cours, écrites une seule fois : dans requirements.txt."""

import re

from tooling import ROOT

REQUIREMENTS = ROOT / "requirements.txt"
PLACEHOLDER = re.compile(r"\{\{ version:([A-Za-z0-9_.-]+) \}\}")


def pinned():
    """{paquet: version} d'après requirements.txt (noms en minuscules, sans extras)."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def fill(text, pins=None):
    """Remplace chaque {{ version:<paquet> }} par la version épinglée ; KeyError si inconnu."""
    pins = pinned() if pins is None else pins
    return PLACEHOLDER.sub(lambda match: pins[match[1].lower()], text)


def copyright_line():
    """La ligne du pied de page (mkdocs.yml : copyright), lue par MkDocs comme par son
    successeur au chargement de la configuration."""
    pins = pinned()
    return f"Cours écrit pour MLflow {pins['mlflow']} et scikit-learn {pins['scikit-learn']}"
