"""« Le registre des modèles »: each version of `svm-tumeurs` points to its Logged Model and its
run; the gate's verdicts and the aliases are those of the page's rule replayed here with
scikit-learn (the floor, then no worse than the champion of the moment); the champion's alias
loads, and `mlflow models serve` serves by alias, a model that predicts like the pipeline
refitted here with that version's recorded params; descriptions and tags read back; stages
warn as the page quotes. The page's blocks are pasted alone into one fresh session in an
empty folder."""

import ast
import sys

import mlflow
import pytest
from helpers import (
    ROOT,
    generated_step,
    learner_command,
    parse_params,
    pasted_page,
    private_store,
    reference_pipeline,
    store_client,
    tracking_uri,
)
from sklearn.metrics import accuracy_score, recall_score

from snippets import evaluation, registry
from tooling.sections import section
from tooling.servers.processes import free_port, started

NAME = "svm-tumeurs"
FLOOR = 0.95
COURSE_SVM = {"C": 1.0, "gamma": "scale", "kernel": "rbf"}
WEAK_SVM = {"C": 0.1, "gamma": 0.01, "kernel": "rbf"}
BETTER_SVM = {"C": 100.0, "gamma": 0.001, "kernel": "rbf"}  # beats the course's SVM
MODEL_TAGS = {"positive_class": "0 (maligne)", "task": "classification"}


def scores(split, params):
    """Sensitivity (malignant = 0) and accuracy of the pipeline refitted here."""
    _, X_test, _, y_test = split
    predicted = reference_pipeline(split, **params).predict(X_test)
    return recall_score(y_test, predicted, pos_label=0), accuracy_score(y_test, predicted)


def replay(split, settings):
    """The page's story replayed with scikit-learn: each version, in order, takes the
    challenger alias and meets the gate against the champion of the moment. Returns the
    verdicts by version and the final aliases."""
    verdicts, aliases = {}, {}
    for version, params in enumerate(settings, 1):
        recall, accuracy = scores(split, params)
        passes = recall >= FLOOR
        if "champion" in aliases:
            best_recall, best_accuracy = scores(split, settings[aliases["champion"] - 1])
            passes = passes and recall >= best_recall and accuracy >= best_accuracy
        verdicts[version] = "passed" if passes else "failed"
        aliases["challenger"] = version
        if passes:
            aliases["champion"] = aliases.pop("challenger")
    return verdicts, aliases


def versions_of(client):
    found = client.search_model_versions(f"name = '{NAME}'")
    numbers = sorted(int(version.version) for version in found)
    return [client.get_model_version(NAME, number) for number in numbers]


def check_registry(folder, split):
    """The registry of folder's store against the story replayed here; returns the client,
    the versions, their settings and the final aliases."""
    client = store_client(folder)
    versions = versions_of(client)
    runs = [client.get_run(version.run_id) for version in versions]
    settings = [parse_params(run.data.params) for run in runs]
    verdicts, aliases = replay(split, settings)
    model = client.get_registered_model(NAME)
    assert {alias: int(number) for alias, number in model.aliases.items()} == aliases
    for version, run in zip(versions, runs, strict=True):
        number = int(version.version)
        assert version.tags == {"quality_gate": verdicts[number]}
        assert version.aliases == [a for a, n in aliases.items() if n == number]
        # The version is the Logged Model of its run.
        model_id = version.source.removeprefix("models:/")
        assert client.get_logged_model(model_id).source_run_id == run.info.run_id
        # Its evaluation by alias, in the run that the gate opened.
        [gate_run] = client.search_runs(
            [run.info.experiment_id], f"attributes.run_name = 'porte-version-{number}'"
        )
        recall, accuracy = scores(split, settings[number - 1])
        assert gate_run.data.metrics["recall_score"] == pytest.approx(recall, abs=1e-12)
        assert gate_run.data.metrics["accuracy_score"] == pytest.approx(accuracy, abs=1e-12)
    return client, versions, settings, aliases


def assert_champion_predicts_like_its_refit(folder, split, settings, aliases):
    _, X_test, _, _ = split
    with tracking_uri(f"sqlite:///{folder / 'mlflow.db'}"):
        loaded = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    refitted = reference_pipeline(split, **settings[aliases["champion"] - 1])
    assert (loaded.predict(X_test) == refitted.predict(X_test)).all()
    return refitted.predict(X_test.head(5)).tolist()


@pytest.fixture(scope="module")
def registered(tmp_path_factory, split):
    """Three versions registered and challenged by the page's functions in a private store,
    without the study: the course's SVM, one that beats it, a weak one."""
    folder = tmp_path_factory.mktemp("registry")
    X_train, _, y_train, _ = split
    with private_store(folder):
        evaluation.setup_tracking(experiment_name="registre")
        _, test_dataset = evaluation.to_datasets(*split)
        for number, params in enumerate([COURSE_SVM, BETTER_SVM, WEAK_SVM], 1):
            model_info = evaluation.log_candidate(params, X_train, y_train, f"svm-{number}")
            version = registry.register(model_info, f"Version {number}")
            assert version == number
            registry.challenge(version, test_dataset)
    return folder


@pytest.mark.slow  # versions registered, evaluated and promoted
def test_the_gate_moves_the_aliases_as_the_rule_computed_here(registered, split):
    client, versions, settings, aliases = check_registry(registered, split)
    assert settings == [COURSE_SVM, BETTER_SVM, WEAK_SVM]
    assert aliases == {"champion": 2, "challenger": 3}
    assert [version.description for version in versions] == [
        f"Version {number}" for number in (1, 2, 3)
    ]
    assert_champion_predicts_like_its_refit(registered, split, settings, aliases)
    # A version also loads by its number.
    _, X_test, _, _ = split
    with tracking_uri(f"sqlite:///{registered / 'mlflow.db'}"):
        first = mlflow.pyfunc.load_model(f"models:/{NAME}/1")
    assert (first.predict(X_test) == reference_pipeline(split, **COURSE_SVM).predict(X_test)).all()
    # search_model_versions gives the versions without their aliases, as the page says.
    found = client.search_model_versions(f"name = '{NAME}'")
    assert {version.version for version in found} == {1, 2, 3}
    assert all(version.aliases == [] for version in found)


@pytest.mark.slow  # versions registered, evaluated and promoted
def test_stages_warn_as_the_page_quotes(registered):
    client = store_client(registered)
    with pytest.warns(FutureWarning) as warned:
        client.transition_model_version_stage(NAME, 1, "Archived")
    [message] = [str(w.message) for w in warned if w.category is FutureWarning]
    assert message.startswith("``mlflow.tracking.client.MlflowClient.transition_model_version")
    page = " ".join((ROOT / "docs" / "registry.md").read_text().split())
    quoted = (
        "is deprecated since 2.9.0. Model registry stages will be removed in a future "
        "major release."
    )
    assert quoted in message and f"`{quoted}`" in page
    assert client.get_model_version(NAME, 1).current_stage == "Archived"


def test_the_registry_follows_the_tracking_uri(tmp_path):
    # Locally, the registry is the tracking store; with `databricks`, Unity Catalog (what
    # the page says without running it on Databricks).
    try:
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
        assert mlflow.get_registry_uri() == mlflow.get_tracking_uri()
        mlflow.set_tracking_uri("databricks")
        assert mlflow.get_registry_uri() == "databricks-uc"
    finally:
        mlflow.set_tracking_uri(None)


def expected_output(client, versions, settings, aliases, split):
    """The page's printout, rebuilt from the replay and the store's identifiers; MLflow's
    refusal messages (MESSAGE) and the printed dicts (tuples) are checked apart."""
    verdicts, _ = replay(split, settings)
    lines = []
    for number in (1, 2, 3):
        refused = verdicts[number] == "failed"
        lines.append(f"Version {number} : {'refusée' if refused else 'promue champion'}")
        if refused:
            lines.append("MESSAGE")
    lines += [
        f"{NAME} : Détecte les tumeurs malignes du jeu Breast Cancer Wisconsin.",
        ("Tags : ", MODEL_TAGS),
        ("Alias : ", aliases),
    ]
    chosen = settings[1]
    descriptions = [
        "Le SVM des premières pages : C = 1, gamma = scale.",
        f"Le modèle choisi par l'étude : C = {chosen['C']:.4g}, gamma = {chosen['gamma']:.4g}.",
        "Un réglage du balayage : C = 0.1, gamma = 0.01.",
    ]
    for version, description in zip(versions, descriptions, strict=True):
        number = int(version.version)
        own = [alias for alias, n in aliases.items() if n == number]
        lines += [
            f"Version {number}, alias {own}, tags {{'quality_gate': '{verdicts[number]}'}}",
            f"  {description}",
            f"  source : {version.source}, run {version.run_id}",
        ]
    champion = versions[aliases["champion"] - 1]
    params = client.get_run(champion.run_id).data.params
    predictions = reference_pipeline(split, **settings[aliases["champion"] - 1])
    lines += [
        f"models:/{NAME}@champion désigne la version {champion.version}",
        f"Ses paramètres : {params}",
        "Prédictions (0 = maligne, 1 = bénigne) : "
        f"{predictions.predict(split[1].head(5)).tolist()}",
        "Requête écrite dans requete.json. Pour servir le champion, dans ce dossier :",
        section("registry.sh:serve"),
    ]
    return lines


def check_output(printed, client, versions, settings, aliases, split):
    expected = expected_output(client, versions, settings, aliases, split)
    printed = list(printed)
    rebuilt = []
    for line in expected:
        if line == "MESSAGE":  # MLflow's message, wrapped: its lines start with spaces
            message = []
            while printed and printed[0].startswith("  "):
                message.append(printed.pop(0).strip())
            text = " ".join(message)
            recall, _ = scores(split, settings[int(rebuilt[-1].split()[1]) - 1])
            assert text.startswith("Metric recall_score value threshold check failed: ")
            assert f"candidate model recall_score = {recall}," in text
            continue
        if isinstance(line, tuple):  # a dict, in whatever order MLflow gives it
            prefix, value = line
            assert printed[0].startswith(prefix)
            assert ast.literal_eval(printed.pop(0).removeprefix(prefix)) == value
            continue
        rebuilt.append(printed.pop(0))
        assert rebuilt[-1] == line
    assert printed == []


@pytest.mark.slow  # the page runs the Optuna study again
def test_the_page_registers_three_versions_and_promotes_by_the_gate(page, split):
    folder, printed = page
    client, versions, settings, aliases = check_registry(folder, split)
    assert settings[0] == COURSE_SVM and settings[2] == WEAK_SVM
    # The chosen setting is the study's: version 2 comes from the study's parent run.
    run = client.get_run(versions[1].run_id)
    assert run.info.run_name == "etude-optuna" and run.data.tags["tuning"] == "optuna"
    model = client.get_registered_model(NAME)
    assert model.description == "Détecte les tumeurs malignes du jeu Breast Cancer Wisconsin."
    assert model.tags == MODEL_TAGS
    check_output(printed, client, versions, settings, aliases, split)
    # What the page's prose says of this story.
    assert replay(split, settings) == (
        {1: "passed", 2: "passed", 3: "failed"},
        {"champion": 2, "challenger": 3},
    )


@pytest.mark.server  # a model server
def test_the_champion_is_served_by_its_alias(page, split):
    folder, _ = page
    client, versions, settings, aliases = check_registry(folder, split)
    expected = assert_champion_predicts_like_its_refit(folder, split, settings, aliases)
    port = free_port()
    serve = section("registry.sh:serve").replace("5001", str(port))
    script = section("logged_model.py:query").replace("5001", str(port))
    (folder / "requete.py").write_text(script)
    with started(serve, f"http://127.0.0.1:{port}/ping", folder, timeout=120):
        answer = learner_command([sys.executable, "requete.py"], folder)
    assert answer.strip() == str({"predictions": expected})


def test_the_site_shows_the_output_of_the_page_in_the_further_notebook(site, split):
    folder = generated_step("further") / "cours-mlflow"
    client, versions, settings, aliases = check_registry(folder, split)
    printed = (folder.parent / "further_registry.txt").read_text().splitlines()
    check_output(printed, client, versions, settings, aliases, split)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page pasted alone in an empty folder: the folder and what it printed."""
    return pasted_page(tmp_path_factory, "registry.md")
