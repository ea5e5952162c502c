#!/usr/bin/env bash
# Page « Tracking UI » : lancer l'interface, depuis le dossier qui contient mlflow.db
# ou en donnant le chemin du magasin.

# --8<-- [start:ui]
mlflow ui --port 5000
# --8<-- [end:ui]

# --8<-- [start:backend]
mlflow server --backend-store-uri sqlite:////home/vous/cours-mlflow/mlflow.db --port 5000
# --8<-- [end:backend]
