#!/usr/bin/env bash
# Page « Le registre des modèles » : servir en REST la version que désigne l'alias champion,
# depuis le dossier du magasin (celui de mlflow.db).

# --8<-- [start:serve]
mlflow models serve -m "models:/svm-tumeurs@champion" --port 5001 --env-manager local
# --8<-- [end:serve]
