#!/usr/bin/env bash
# Page « Le modèle MLflow » : servir le modèle en REST (premier terminal), puis l'interroger
# (second terminal), depuis le dossier du magasin. <model_id> : l'identifiant affiché (m-...).

# --8<-- [start:serve]
mlflow models serve -m "models:/<model_id>" --port 5001 --env-manager local
# --8<-- [end:serve]

# --8<-- [start:query]
curl --fail -X POST http://127.0.0.1:5001/invocations -H "Content-Type: application/json" --data "@requete.json"
# --8<-- [end:query]
