"""La machinerie du site : génération à la construction, notebooks, captures d'écran, mesures.

Jamais importée par snippets/ (le cours), qui doit rester lisible et installable seul.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
