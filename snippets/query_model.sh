#!/usr/bin/env bash
# Page « Le modèle MLflow » : interroger le modèle servi par serve_model.sh.
set -euo pipefail

# --8<-- [start:query]
curl --fail -X POST http://127.0.0.1:5001/invocations \
  -H "Content-Type: application/json" \
  --data @requete.json
# --8<-- [end:query]
