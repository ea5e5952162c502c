#!/usr/bin/env bash
# Page « Venir de MLflow 2 » : les runs d'un ancien magasin en fichiers (./mlruns) copiés
# dans une base SQLite, depuis le dossier qui contient mlruns/.

# --8<-- [start:migrate_filestore]
mlflow migrate-filestore --source . --target sqlite:///mlflow.db
# --8<-- [end:migrate_filestore]
