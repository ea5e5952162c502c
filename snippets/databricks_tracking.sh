#!/usr/bin/env bash
# Page « Implémentation sur Databricks » : installer la CLI Databricks, se connecter, puis
# suivre le balayage dans l'espace de travail avec le profil que la CLI a écrit. Remplacez
# <votre-espace>, <profil> et <votre e-mail> par vos valeurs.

# --8<-- [start:install_brew]
brew tap databricks/tap
brew install databricks
# --8<-- [end:install_brew]

# --8<-- [start:install_script]
curl -fsSL https://raw.githubusercontent.com/databricks/setup-cli/main/install.sh | sh
# --8<-- [end:install_script]

# --8<-- [start:login]
databricks auth login --host "https://<votre-espace>.cloud.databricks.com"
# --8<-- [end:login]

# --8<-- [start:profiles]
databricks auth profiles
# --8<-- [end:profiles]

# --8<-- [start:run_profile]
python -m snippets.databricks_tracking --profile "<profil>" --experiment "/Users/<votre e-mail>/svm-cancer-du-sein"
# --8<-- [end:run_profile]

# --8<-- [start:profile_env]
export DATABRICKS_CONFIG_PROFILE="<profil>"
# --8<-- [end:profile_env]

# --8<-- [start:uri_env]
export MLFLOW_TRACKING_URI="databricks://<profil>"
# --8<-- [end:uri_env]

# --8<-- [start:run]
python -m snippets.databricks_tracking --experiment "/Users/<votre e-mail>/svm-cancer-du-sein"
# --8<-- [end:run]

# --8<-- [start:token_env]
export DATABRICKS_HOST="https://<votre-espace>.cloud.databricks.com"
read -rs DATABRICKS_TOKEN && export DATABRICKS_TOKEN  # collez le jeton : rien ne s'affiche
# --8<-- [end:token_env]

# --8<-- [start:verify]
python -m snippets.verifier --page databricks-tracking --tracking-uri "databricks://<profil>" --experiment "/Users/<votre e-mail>/svm-cancer-du-sein"
# --8<-- [end:verify]
