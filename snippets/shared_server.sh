#!/usr/bin/env bash
# Page « Serveur de suivi partagé » : un serveur MLflow sur PostgreSQL pour une classe ou
# une équipe, avec des comptes, et ce que chaque apprenant règle dans son terminal.

# --8<-- [start:install]
sudo apt install postgresql          # Debian, Ubuntu ; ailleurs, le paquet du système
# Le cours et ses versions, dont MLflow, les comptes (Flask-WTF) et le pilote PostgreSQL
# (psycopg) : dans un environnement virtuel, depuis le dossier du cours
pip install -e .
# --8<-- [end:install]

# --8<-- [start:database]
sudo -u postgres psql \
  -c "CREATE USER mlflow WITH PASSWORD 'mot-de-passe-de-la-base'" \
  -c "CREATE DATABASE mlflow OWNER mlflow"
# --8<-- [end:database]

# --8<-- [start:server]
export MLFLOW_BACKEND_STORE_URI="postgresql://mlflow:mot-de-passe-de-la-base@localhost:5432/mlflow"
export MLFLOW_AUTH_CONFIG_PATH=/srv/mlflow/basic_auth.ini
export MLFLOW_AUTH_ADMIN_PASSWORD="mot-de-passe-de-l-administrateur"
export MLFLOW_FLASK_SERVER_SECRET_KEY="une-longue-chaine-aleatoire"
mlflow server --app-name basic-auth \
  --artifacts-destination /srv/mlflow/artifacts \
  --host 0.0.0.0 --port 5000 --workers 4 \
  --allowed-hosts "mlflow.mon-ecole.fr:5000,localhost:*,127.0.0.1:*"
# --8<-- [end:server]

# --8<-- [start:accounts]
export MLFLOW_TRACKING_URI=http://mlflow.mon-ecole.fr:5000
export MLFLOW_TRACKING_USERNAME=admin
export MLFLOW_TRACKING_PASSWORD="mot-de-passe-de-l-administrateur"
python -m snippets.shared_server alice bob
# --8<-- [end:accounts]

# --8<-- [start:learner]
export MLFLOW_TRACKING_URI=http://mlflow.mon-ecole.fr:5000
export MLFLOW_TRACKING_USERNAME=alice
export MLFLOW_TRACKING_PASSWORD="le-mot-de-passe-reçu"
export MLFLOW_EXPERIMENT_NAME=svm-cancer-du-sein-alice
python -m snippets.sweep
# --8<-- [end:learner]
