"""Page « Le modèle MLflow » : un modèle enregistré avec la configuration par défaut,
ses fichiers, son rechargement par models:/<model_id> et la requête pour le servir.

En ligne de commande : python -m snippets.logged_model
"""

# --8<-- [start:imports]
import json
from pathlib import Path

import mlflow

# --8<-- [end:imports]
from snippets.data import load_data
from snippets.first_run import build_model, setup_tracking
from snippets.train import train_and_log


def main():
    # --8<-- [start:log]
    setup_tracking()
    run_id, model_info = train_and_log(C=1.0, gamma="scale")
    print(f"Run : {run_id}")
    print(f"Identifiant du modèle : {model_info.model_id}")
    print(f"URI du modèle : {model_info.model_uri}")
    # --8<-- [end:log]

    # --8<-- [start:files]
    model_dir = Path(mlflow.artifacts.download_artifacts(model_info.model_uri))
    for path in sorted(model_dir.iterdir()):
        print(f"{path.name:<28} {path.stat().st_size:>8} octets")
    print((model_dir / "MLmodel").read_text())
    # --8<-- [end:files]

    # --8<-- [start:load]
    loaded = mlflow.pyfunc.load_model(f"models:/{model_info.model_id}")
    X_train, X_test, y_train, y_test = load_data()
    predictions = loaded.predict(X_test.head(5))
    print("Prédictions (0 = maligne, 1 = bénigne) :", predictions.tolist())
    print("Vraies classes :                         ", y_test.head(5).tolist())
    # --8<-- [end:load]

    # --8<-- [start:check]
    # Le modèle rechargé prédit exactement comme le même pipeline réentraîné ici.
    refitted = build_model(C=1.0, gamma="scale").fit(X_train, y_train)
    assert (loaded.predict(X_test) == refitted.predict(X_test)).all()
    print("Le modèle rechargé prédit comme le pipeline d'origine.")
    # --8<-- [end:check]

    # --8<-- [start:request]
    # Le corps de la requête REST : cinq tumeurs de test, au format « dataframe_split ».
    payload = {"dataframe_split": X_test.head(5).to_dict(orient="split")}
    Path("requete.json").write_text(json.dumps(payload))
    print("Requête écrite dans requete.json. Pour servir le modèle, dans ce dossier :")
    print(
        f'mlflow models serve -m "{model_info.model_uri}" --port 5001',
        "--env-manager local",
    )
    # --8<-- [end:request]


def request_script():
    """Le script requete.py de la page, que l'apprenant lance dans un second terminal
    pendant que le modèle est servi ; les tests exécutent la section query."""
    # --8<-- [start:query]
    import json
    from pathlib import Path

    import requests

    payload = json.loads(Path("requete.json").read_text())
    response = requests.post(
        "http://127.0.0.1:5001/invocations", json=payload, timeout=30
    )
    response.raise_for_status()  # une erreur claire si le serveur refuse la requête
    print(response.json())
    # --8<-- [end:query]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
