"""Page « Le registre des modèles » : les versions d'un modèle nommé, les alias
champion et challenger, la promotion par la porte de qualité, puis le chargement et le
service par alias.

En ligne de commande : python -m snippets.registry
"""

# --8<-- [start:imports]
import json
import textwrap
from pathlib import Path

import mlflow
from mlflow import MlflowClient

# --8<-- [end:imports]
from snippets.data import load_data
from snippets.datasets import to_datasets
from snippets.evaluation import (
    DEFAULT_PARAMS,
    WEAK_PARAMS,
    evaluate_model,
    log_candidate,
    quality_gate,
)
from snippets.first_run import setup_tracking
from snippets.tuning import run_study, train_final

# --8<-- [start:register]
REGISTRY_EXPERIMENT = "registre-svm"
REGISTERED_MODEL = "svm-tumeurs"  # le nom du modèle dans le registre


def register(model_info, description):
    """Enregistre un modèle MLflow comme nouvelle version du modèle nommé, avec sa
    description ; renvoie le numéro de la version."""
    version = mlflow.register_model(model_info.model_uri, REGISTERED_MODEL)
    MlflowClient().update_model_version(
        REGISTERED_MODEL, version.version, description=description
    )
    return version.version


# --8<-- [end:register]


# --8<-- [start:challenge]
def alias_uri(alias):
    """L'URI de la version que désigne un alias : models:/<nom>@<alias>."""
    return f"models:/{REGISTERED_MODEL}@{alias}"


def challenge(version, test_dataset):
    """La version, sous l'alias challenger, passe la porte de qualité face au champion.

    Si elle la franchit, l'alias champion passe sur elle. Renvoie le message d'échec de
    la porte, ou None."""
    client = MlflowClient()
    client.set_registered_model_alias(REGISTERED_MODEL, "challenger", version)
    candidate = evaluate_model(
        alias_uri("challenger"), test_dataset, f"porte-version-{version}"
    )
    champion = None
    aliases = client.get_registered_model(REGISTERED_MODEL).aliases
    if "champion" in aliases:  # la première version n'a pas de champion à battre
        champion = evaluate_model(
            alias_uri("champion"),
            test_dataset,
            f"champion-version-{aliases['champion']}",
        )
    failure = quality_gate(candidate, champion)
    verdict = "failed" if failure else "passed"
    client.set_model_version_tag(REGISTERED_MODEL, version, "quality_gate", verdict)
    if failure is None:
        # Un alias désigne une seule version : il quitte l'ancien champion.
        client.set_registered_model_alias(REGISTERED_MODEL, "champion", version)
        client.delete_registered_model_alias(REGISTERED_MODEL, "challenger")
    return failure


def show_verdict(version, failure):
    """Affiche ce que la porte de qualité a décidé pour la version."""
    print(f"Version {version} : {'refusée' if failure else 'promue champion'}")
    for line in (failure or "").splitlines():  # une ligne par métrique en échec
        print(textwrap.fill(line, 88, initial_indent="  ", subsequent_indent="    "))


# --8<-- [end:challenge]


def main():
    # --8<-- [start:first]
    setup_tracking(experiment_name=REGISTRY_EXPERIMENT)
    data = load_data()
    X_train, X_test, y_train, y_test = data
    _, test_dataset = to_datasets(*data)

    first = log_candidate(DEFAULT_PARAMS, X_train, y_train, "svm-du-cours")
    v1 = register(first, "Le SVM des premières pages : C = 1, gamma = scale.")
    show_verdict(v1, challenge(v1, test_dataset))
    # --8<-- [end:first]

    # --8<-- [start:describe]
    client = MlflowClient()
    client.update_registered_model(
        REGISTERED_MODEL,
        description="Détecte les tumeurs malignes du jeu Breast Cancer Wisconsin.",
    )
    client.set_registered_model_tag(REGISTERED_MODEL, "positive_class", "0 (maligne)")
    client.set_registered_model_tag(REGISTERED_MODEL, "task", "classification")
    # --8<-- [end:describe]

    # --8<-- [start:chosen]
    study, parent_run_id = run_study(X_train, y_train)
    _, chosen = train_final(study.best_params, parent_run_id, data)
    C, gamma = study.best_params["C"], study.best_params["gamma"]
    v2 = register(
        chosen, f"Le modèle choisi par l'étude : C = {C:.4g}, gamma = {gamma:.4g}."
    )
    show_verdict(v2, challenge(v2, test_dataset))
    # --8<-- [end:chosen]

    # --8<-- [start:weak]
    weak = log_candidate(WEAK_PARAMS, X_train, y_train, "svm-trop-regularise")
    v3 = register(weak, "Un réglage du balayage : C = 0.1, gamma = 0.01.")
    show_verdict(v3, challenge(v3, test_dataset))
    # --8<-- [end:weak]

    # --8<-- [start:read_back]
    model = client.get_registered_model(REGISTERED_MODEL)
    print(f"{model.name} : {model.description}")
    print("Tags :", model.tags)
    print("Alias :", model.aliases)
    found = client.search_model_versions(
        f"name = '{REGISTERED_MODEL}'", order_by=["version_number ASC"]
    )
    for number in [version.version for version in found]:
        version = client.get_model_version(REGISTERED_MODEL, number)  # avec ses alias
        print(
            f"Version {version.version}, alias {version.aliases}, tags {version.tags}"
        )
        print(f"  {version.description}")
        print(f"  source : {version.source}, run {version.run_id}")
    # --8<-- [end:read_back]

    # --8<-- [start:load]
    champion = client.get_model_version_by_alias(REGISTERED_MODEL, "champion")
    loaded = mlflow.pyfunc.load_model(alias_uri("champion"))
    print(f"{alias_uri('champion')} désigne la version {champion.version}")
    print("Ses paramètres :", mlflow.get_run(champion.run_id).data.params)
    print(
        "Prédictions (0 = maligne, 1 = bénigne) :",
        loaded.predict(X_test.head(5)).tolist(),
    )
    # --8<-- [end:load]

    # --8<-- [start:request]
    payload = {"dataframe_split": X_test.head(5).to_dict(orient="split")}
    Path("requete.json").write_text(json.dumps(payload))
    print(
        "Requête écrite dans requete.json. Pour servir le champion, dans ce dossier :"
    )
    print(
        f'mlflow models serve -m "{alias_uri("champion")}" --port 5001',
        "--env-manager local",
    )
    # --8<-- [end:request]


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(main)
