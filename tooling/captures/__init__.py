"""Ce qu'on tire d'un vrai navigateur (Chromium sans écran) : les captures d'écran du Tracking
UI versionnées dans Images/ (python -m tooling.captures.ui_tour) et le polycopié, le site
imprimé en un PDF (python -m tooling.captures.polycopie)."""
