#!/usr/bin/env bash
# Page « Le modèle MLflow » : servir le modèle en REST, puis l'interroger.
# MODEL_ID vaut l'identifiant affiché par le code de la page (m-...).
set -euo pipefail

# --8<-- [start:serve]
export MLFLOW_TRACKING_URI=sqlite:///mlflow.db
mlflow models serve -m "models:/$MODEL_ID" --port 5001 --env-manager local
# --8<-- [end:serve]
