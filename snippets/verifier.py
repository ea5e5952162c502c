"""Vérifiez votre travail : relit votre magasin de suivi et dit, pour chaque étape du
cours et chaque exercice, « fait », « pas encore » ou « à revoir », avec un indice.

La vérification recalcule elle-même ce qu'elle attend (elle réentraîne les modèles
avec les paramètres de vos runs, sur le découpage du cours) et ne fait que lire : elle
ne crée ni mlflow.db, ni run, ni expérience.

En ligne de commande :
python -m snippets.verifier [--page NOM] [--tracking-uri URI] [--experiment NOM]
                            [--json]
"""

import json
import logging
import os
import sqlite3
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np

from snippets.cli import FrenchArgumentParser, store_problem, unset_command

DONE, TODO, REVIEW = "fait", "pas encore", "à revoir"
COURSE_EXPERIMENT = "svm-cancer-du-sein"  # celle de la page « Premier run »
SEVEN = [
    "accuracy",
    "sensitivity",
    "specificity",
    "precision",
    "npv",
    "fall_out",
    "fdr",
]
TOLERANCE = 1e-6
MALIGNANT = 0  # la classe positive du cours


class StoreError(Exception):
    """Un magasin qu'on ne peut pas lire : le message français à afficher."""


@dataclass
class Item:
    page: str
    key: str
    title: str
    status: str = DONE
    detail: str = ""
    hint: str = ""


def review(detail, hint):
    return REVIEW, detail, hint


def todo(detail, hint):
    return TODO, detail, hint


# Ce que le cours attend, recalculé ici sans le code des pages.
def seven(tp, fp, fn, tn):
    def ratio(a, b):
        return a / b if b else 0.0

    return {
        "accuracy": ratio(tp + tn, tp + fp + fn + tn),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "precision": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "fall_out": ratio(fp, fp + tn),
        "fdr": ratio(fp, fp + tp),
    }


def counts(y_true, y_pred):
    """(tp, fp, fn, tn), la tumeur maligne (0) comme classe positive."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    positive, predicted = y_true == MALIGNANT, y_pred == MALIGNANT
    return (
        int((positive & predicted).sum()),
        int((~positive & predicted).sum()),
        int((positive & ~predicted).sum()),
        int((~positive & ~predicted).sum()),
    )


def close(a, b):
    return a is not None and b is not None and abs(float(a) - float(b)) <= TOLERANCE


def parse_number(text, default):
    if text is None:
        return default
    if text in ("scale", "auto"):
        return text
    return float(text)


class Course:
    """Le découpage du cours et les modèles réentraînés, chacun une seule fois."""

    def __init__(self):
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import train_test_split

        features, target = load_breast_cancer(return_X_y=True, as_frame=True)
        self.split = train_test_split(
            features, target, test_size=0.25, stratify=target, random_state=42
        )
        self._models = {}

    def svm(self, C=1.0, gamma="scale", kernel="rbf"):
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        key = ("svm", C, gamma, kernel)
        if key not in self._models:
            X_train, _, y_train, _ = self.split
            model = make_pipeline(
                StandardScaler(), SVC(C=C, gamma=gamma, kernel=kernel)
            )
            self._models[key] = model.fit(X_train, y_train)
        return self._models[key]

    def family(self, name):
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if name not in self._models:
            estimator = {
                "regression-logistique": LogisticRegression(max_iter=1000),
                "plus-proches-voisins": KNeighborsClassifier(),
            }[name]
            X_train, _, y_train, _ = self.split
            model = make_pipeline(StandardScaler(), estimator)
            self._models[name] = model.fit(X_train, y_train)
        return self._models[name]

    def test_counts(self, model):
        _, X_test, _, y_test = self.split
        return counts(y_test, model.predict(X_test))

    def cv_balanced_accuracy(self, C, gamma):
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        X_train, _, y_train, _ = self.split
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
        model = make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))
        scores = cross_val_score(
            model, X_train, y_train, cv=folds, scoring="balanced_accuracy"
        )
        return scores.mean()


def run_params(run):
    """C, gamma et kernel d'un run, tels que le SVM les attend."""
    params = run.data.params
    return {
        "C": parse_number(params.get("C"), 1.0),
        "gamma": parse_number(params.get("gamma"), "scale"),
        "kernel": params.get("kernel", "rbf"),
    }


def find_renamed(recorded, expected_value, known):
    """Le nom d'une autre métrique du run qui porte la valeur attendue, sinon None."""
    for name, value in recorded.items():
        if name not in known and close(value, expected_value):
            return name
    return None


def check_seven(recorded, tp, fp, fn, tn, where):
    """Les sept métriques d'un run face à celles recalculées ; None si tout va bien."""
    expected = seven(tp, fp, fn, tn)
    missing = [name for name in SEVEN if name not in recorded]
    for name in missing:
        other = find_renamed(recorded, expected[name], SEVEN)
        if other is not None:
            return review(
                f"{where} : la métrique {name} manque ; « {other} » porte sa valeur.",
                f"Enregistrez-la sous le nom {name}, celui du cours : "
                "mlflow.log_metrics(classification_metrics(y_test, y_pred)).",
            )
    if missing:
        return review(
            f"{where} : métriques absentes : {', '.join(missing)}.",
            "Enregistrez les sept métriques avec log_evaluation(model, X_test, y_test) "
            "(page « Sept métriques et un artefact »).",
        )
    wrong = [name for name in SEVEN if not close(recorded[name], expected[name])]
    if not wrong:
        return None
    swapped = seven(tn, fp, fn, tp)
    if all(close(recorded[name], swapped[name]) for name in SEVEN):
        return review(
            f"{where} : sensibilité {recorded['sensitivity']:.3f} au lieu de "
            f"{expected['sensitivity']:.3f} ; les vrais positifs et les vrais négatifs "
            "sont échangés.",
            "confusion_matrix(...).ravel() rend tn, fp, fn, tp, dans cet ordre : "
            "écrivez tn, fp, fn, tp = confusion_matrix(...).ravel().",
        )
    benign = seven(tn, fn, fp, tp)
    if all(close(recorded[name], benign[name]) for name in SEVEN):
        return review(
            f"{where} : sensibilité {recorded['sensitivity']:.3f} au lieu de "
            f"{expected['sensitivity']:.3f} ; la classe positive est la bénigne.",
            "La classe positive du cours est maligne (0) : labels=[BENIGN, MALIGNANT] "
            "dans confusion_matrix, pos_label=0 dans les fonctions de scikit-learn.",
        )
    name = wrong[0]
    return review(
        f"{where} : {name} vaut {recorded[name]:.4f}, {expected[name]:.4f} attendu "
        "(recalculé avec les paramètres du run).",
        "Vérifiez le découpage (load_data()), le modèle (build_model) et le calcul "
        "des métriques (classification_metrics).",
    )


class Store:
    """Le magasin de suivi, lu seulement."""

    def __init__(self, uri, experiment_name):
        from mlflow import MlflowClient

        self.uri = uri
        self.client = MlflowClient(uri)
        self.course_experiment = experiment_name
        self._experiments = {}

    def experiment(self, name):
        if name not in self._experiments:
            self._experiments[name] = self.client.get_experiment_by_name(name)
        return self._experiments[name]

    def runs(self, experiment_name, filter_string="", finished=True):
        """Les runs (terminés, par défaut), les plus récents d'abord."""
        experiment = self.experiment(experiment_name)
        if experiment is None:
            return []
        return self.search([experiment.experiment_id], filter_string, finished)

    def search(self, experiment_ids, filter_string, finished=True):
        status = "attributes.status = 'FINISHED'" if finished else ""
        query = " and ".join(part for part in (filter_string, status) if part)
        return self.client.search_runs(
            experiment_ids,
            query,
            order_by=["attributes.start_time DESC"],
            max_results=1000,
        )

    def named(self, experiment_name, run_name, finished=True):
        found = self.runs(
            experiment_name, f"attributes.run_name = '{run_name}'", finished
        )
        return found[0] if found else None

    def children(self, run):
        """Les runs enfants terminés d'un run."""
        query = f"tags.mlflow.parentRunId = '{run.info.run_id}'"
        return self.search([run.info.experiment_id], query)

    def artifacts(self, run):
        return {
            artifact.path for artifact in self.client.list_artifacts(run.info.run_id)
        }

    def logged_models(self, experiment_name, run=None):
        """Les Logged Models d'une expérience (ou d'un run), du plus récent au plus
        ancien."""
        experiment = self.experiment(experiment_name)
        if experiment is None:
            return []
        models = self.client.search_logged_models(
            experiment_ids=[experiment.experiment_id],
            order_by=[{"field_name": "creation_time", "ascending": False}],
        )
        if run is not None:
            models = [m for m in models if m.source_run_id == run.info.run_id]
        return list(models)


def load_and_predict(store, model_uri, X):
    """Les prédictions du modèle MLflow model_uri, chargé dans un dossier temporaire."""
    import mlflow

    with tempfile.TemporaryDirectory() as folder:
        previous = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(store.uri)
        try:
            model = mlflow.pyfunc.load_model(model_uri, dst_path=folder)
            return model, np.asarray(model.predict(X))
        finally:
            mlflow.set_tracking_uri(previous)


def check_model(store, course, model_uri, reference, what):
    """Le modèle model_uri se charge et prédit comme reference, réentraîné ici."""
    _, X_test, _, _ = course.split
    try:
        loaded, predicted = load_and_predict(store, model_uri, X_test)
    except Exception as error:  # noqa: BLE001 (tout échec de chargement est à revoir)
        return review(
            f"{what} ({model_uri}) ne se charge pas : {str(error).splitlines()[0]}",
            "Rechargez-le comme la page « Le modèle MLflow » : "
            'mlflow.pyfunc.load_model(f"models:/{model_id}").',
        )
    if not (predicted == reference.predict(X_test)).all():
        return review(
            f"{what} ({model_uri}) ne prédit pas comme le SVM réentraîné avec ses "
            "paramètres.",
            "Enregistrez le modèle entraîné dans le même run que ses paramètres.",
        )
    if loaded.metadata.signature is None:
        return review(
            f"{what} ({model_uri}) n'a pas de signature.",
            "Passez input_example=X_train.head(5) à mlflow.sklearn.log_model : "
            "MLflow en déduit la signature.",
        )
    return None


# Les vérifications, page par page, dans l'ordre du cours.
CHECKS = []


def check(page, key, title, experiment=None, server_only=False):
    def register(function):
        CHECKS.append((page, key, title, experiment, server_only, function))
        return function

    return register


def run_hint(page_title, module):
    return (
        f"Exécutez les blocs de la page « {page_title} », ou "
        f"python -m snippets.{module}, depuis ce dossier."
    )


@check("first-run", "premier-run", "Premier run")
def first_run(store, course):
    run = store.named(store.course_experiment, "premier-run")
    if run is None:
        return todo(
            f"aucun run « premier-run » terminé dans « {store.course_experiment} ».",
            run_hint("Premier run", "first_run"),
        )
    params = run.data.params
    expected = {"C": "1.0", "gamma": "scale", "kernel": "rbf"}
    if params != expected:
        return review(
            f"paramètres {params}, {expected} attendus.",
            "mlflow.log_params(params) avec params = "
            '{"C": 1.0, "gamma": "scale", "kernel": "rbf"}.',
        )
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    accuracy = seven(tp, fp, fn, tn)["accuracy"]
    recorded = run.data.metrics.get("accuracy")
    if recorded is None:
        other = find_renamed(run.data.metrics, accuracy, [])
        named = f" ; « {other} » porte sa valeur" if other else ""
        return review(
            f"la métrique accuracy manque{named}.",
            'mlflow.log_metric("accuracy", accuracy) dans le bloc with du run.',
        )
    if not close(recorded, accuracy):
        return review(
            f"accuracy vaut {recorded:.4f}, {accuracy:.4f} attendu.",
            "L'exactitude se mesure sur le jeu de test : "
            "accuracy_score(y_test, model.predict(X_test)).",
        )
    return DONE, f"C=1.0, gamma=scale, exactitude {accuracy:.3f} recalculée.", ""


@check("metrics", "sept-metriques", "Sept métriques et la matrice de confusion")
def seven_metrics(store, course):
    run = store.named(store.course_experiment, "sept-metriques")
    if run is None:
        return todo(
            f"aucun run « sept-metriques » terminé dans « {store.course_experiment} ».",
            run_hint("Sept métriques et un artefact", "metrics"),
        )
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    problem = check_seven(run.data.metrics, tp, fp, fn, tn, "sept-metriques")
    if problem:
        return problem
    if "confusion_matrix.png" not in store.artifacts(run):
        return review(
            "l'artefact confusion_matrix.png manque.",
            "mlflow.log_figure(plot_confusion_matrix(y_test, y_pred), "
            '"confusion_matrix.png") dans le run.',
        )
    sensitivity = seven(tp, fp, fn, tn)["sensitivity"]
    return (
        DONE,
        f"sept métriques recalculées (sensibilité {sensitivity:.3f}), matrice.",
        "",
    )


@check("logged-model", "modele", "Un modèle MLflow qui se charge et prédit")
def logged_model(store, course):
    models = store.logged_models(store.course_experiment)
    if not models:
        return todo(
            f"aucun modèle enregistré dans « {store.course_experiment} ».",
            run_hint("Le modèle MLflow", "logged_model"),
        )
    model = models[0]
    if not model.source_run_id:
        return review(
            f"le modèle {model.model_id} n'est relié à aucun run.",
            "Enregistrez-le dans un bloc with mlflow.start_run().",
        )
    run = store.client.get_run(model.source_run_id)
    reference = course.svm(**run_params(run))
    problem = check_model(
        store,
        course,
        f"models:/{model.model_id}",
        reference,
        "Le modèle le plus récent",
    )
    if problem:
        return problem
    return DONE, f"models:/{model.model_id} prédit comme le SVM réentraîné.", ""


def sweep_grid():
    from snippets.sweep import C_VALUES, GAMMA_VALUES

    return [(C, gamma) for C in C_VALUES for gamma in GAMMA_VALUES]


@check("sweep", "balayage", "Le balayage : 20 réglages de C et gamma")
def sweep(store, course):
    runs = store.runs(store.course_experiment, "tags.sweep = 'C-gamma'")
    if not runs:
        return todo(
            "aucun run du balayage (tag sweep = C-gamma) dans "
            f"« {store.course_experiment} ».",
            run_hint("Comparer les runs", "sweep"),
        )
    latest = {}
    for run in runs:  # les plus récents d'abord : on garde le dernier de chaque réglage
        key = (run.data.params.get("C"), run.data.params.get("gamma"))
        latest.setdefault(key, run)
    missing = [(C, g) for C, g in sweep_grid() if (str(C), str(g)) not in latest]
    if missing:
        names = " ; ".join(f"C={C} gamma={g}" for C, g in missing)
        return review(
            f"{len(missing)} réglages manquent : {names}.",
            "Relancez le balayage (run_sweep() ou python -m snippets.sweep) : "
            "il ne refait que les réglages qui n'ont pas de run terminé.",
        )
    for C, gamma in sweep_grid():
        run = latest[(str(C), str(gamma))]
        tp, fp, fn, tn = course.test_counts(course.svm(C, gamma))
        where = f"run {run.info.run_name} (C={C}, gamma={gamma})"
        problem = check_seven(run.data.metrics, tp, fp, fn, tn, where)
        if problem:
            return problem
    return DONE, "les 20 réglages, métriques recalculées.", ""


def best_setting(course):
    """Le réglage que le critère du cours choisit : exactitude équilibrée, puis
    sensibilité ; tous les ex æquo sont acceptés."""
    scored = []
    for C, gamma in sweep_grid():
        metrics = seven(*course.test_counts(course.svm(C, gamma)))
        balanced = round((metrics["sensitivity"] + metrics["specificity"]) / 2, 10)
        scored.append(((balanced, round(metrics["sensitivity"], 10)), (C, gamma)))
    top = max(score for score, _ in scored)
    return [setting for score, setting in scored if score == top], top


@check("sweep", "meilleur-reglage", "Le meilleur réglage et son modèle")
def best_run(store, course):
    run = store.named(store.course_experiment, "meilleur-reglage")
    if run is None:
        return todo(
            f"aucun run « meilleur-reglage » dans « {store.course_experiment} ».",
            run_hint("Comparer les runs", "sweep"),
        )
    settings, (balanced, _) = best_setting(course)
    params = run_params(run)
    if (params["C"], params["gamma"]) not in settings:
        C, gamma = settings[0]
        return review(
            f"le run retient C={params['C']}, gamma={params['gamma']} ; le critère du "
            f"cours choisit C={C}, gamma={gamma} (exactitude équilibrée "
            f"{balanced:.4f}).",
            "Le critère : la plus grande moyenne de la sensibilité et de la "
            "spécificité, puis la plus grande sensibilité (select_best_run).",
        )
    models = store.logged_models(store.course_experiment, run)
    if not models:
        return review(
            "le run « meilleur-reglage » n'a pas de modèle.",
            "train_and_log(...) enregistre le modèle avec log_model=True (par défaut).",
        )
    problem = check_model(
        store,
        course,
        f"models:/{models[0].model_id}",
        course.svm(**params),
        "Le modèle du meilleur réglage",
    )
    if problem:
        return problem
    return DONE, f"C={params['C']}, gamma={params['gamma']}, modèle vérifié.", ""


@check("databricks-tracking", "balayage", "Le balayage dans l'espace Databricks")
def databricks_sweep(store, course):
    return sweep(store, course)


@check("databricks-tracking", "meilleur-reglage", "Le meilleur réglage, sur Databricks")
def databricks_best(store, course):
    return best_run(store, course)


def datasets_experiment():
    from snippets.datasets import DATASETS_EXPERIMENT

    return DATASETS_EXPERIMENT


def expected_digests(course):
    import mlflow

    X_train, X_test, y_train, y_test = course.split
    return {
        "training": mlflow.data.from_pandas(
            X_train.assign(target=y_train), targets="target"
        ).digest,
        "test": mlflow.data.from_pandas(
            X_test.assign(target=y_test), targets="target"
        ).digest,
    }


def run_datasets(run):
    """{contexte: jeu de données} des entrées du run."""
    found = {}
    for dataset_input in run.inputs.dataset_inputs:
        tags = {tag.key: tag.value for tag in dataset_input.tags}
        found[tags.get("mlflow.data.context")] = dataset_input.dataset
    return found


def check_datasets(store, course, run):
    run = store.client.get_run(run.info.run_id)  # search_runs ne rend pas les entrées
    found = run_datasets(run)
    expected = expected_digests(course)
    for context, digest in expected.items():
        if context not in found:
            return review(
                f"le run {run.info.run_name} n'a pas de jeu de données « {context} ».",
                f'mlflow.log_input(dataset, context="{context}") : log_datasets(...) '
                "enregistre les deux parties du découpage.",
            )
        if found[context].digest != digest:
            return review(
                f"le jeu « {context} » du run {run.info.run_name} a l'empreinte "
                f"{found[context].digest}, {digest} attendue.",
                "Enregistrez les parties du découpage du cours (load_data()), cible "
                'comprise (targets="target").',
            )
    return None


@check("datasets", "svm-et-donnees", "Un run avec ses deux jeux de données",
       experiment=datasets_experiment)  # fmt: skip
def datasets_run(store, course):
    experiment = datasets_experiment()
    run = store.named(experiment, "svm-et-donnees")
    if run is None:
        return todo(
            f"aucun run « svm-et-donnees » dans « {experiment} ».",
            run_hint("Les données dans le run", "datasets"),
        )
    problem = check_datasets(store, course, run)
    if problem:
        return problem
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    problem = check_seven(run.data.metrics, tp, fp, fn, tn, "svm-et-donnees")
    if problem:
        return problem
    second = store.named(experiment, "svm-memes-donnees")
    if second is None:
        return todo(
            "le second run, « svm-memes-donnees », manque.",
            "Exécutez le bloc « Ce que prouve l'empreinte ».",
        )
    problem = check_datasets(store, course, second)
    if problem:
        return problem
    return DONE, "deux runs, mêmes empreintes que le découpage du cours.", ""


def tuning_experiment():
    from snippets.tuning import TUNING_EXPERIMENT

    return TUNING_EXPERIMENT


@check("tuning", "etude-optuna", "L'étude : un run parent, un run enfant par essai",
       experiment=tuning_experiment)  # fmt: skip
def tuning_study(store, course):
    from snippets.tuning import N_TRIALS

    experiment = tuning_experiment()
    parent = store.named(experiment, "etude-optuna")
    if parent is None:
        return todo(
            f"aucun run « etude-optuna » terminé dans « {experiment} ».",
            run_hint("Régler sans tricher", "tuning"),
        )
    trials = store.children(parent)
    if len(trials) < N_TRIALS:
        return review(
            f"{len(trials)} runs enfants terminés, {N_TRIALS} attendus.",
            "Chaque essai dans mlflow.start_run(nested=True), à l'intérieur du run "
            "parent (with_child_run).",
        )
    for trial in trials:
        recorded = trial.data.metrics.get("cv_balanced_accuracy")
        params = run_params(trial)
        score = course.cv_balanced_accuracy(params["C"], params["gamma"])
        if not close(recorded, score):
            shown = "absente" if recorded is None else f"{recorded:.4f}"
            return review(
                f"{trial.info.run_name} : cv_balanced_accuracy {shown}, {score:.4f} "
                "attendu (5 plis stratifiés, entraînement seul).",
                "La note d'un essai : cross_val_score(..., cv=CV, "
                'scoring="balanced_accuracy").mean(), sur X_train et y_train.',
            )
    best = max(trials, key=lambda trial: trial.data.metrics["cv_balanced_accuracy"])
    best_score = best.data.metrics["cv_balanced_accuracy"]
    if not close(parent.data.metrics.get("cv_balanced_accuracy"), best_score) or (
        run_params(parent)["C"],
        run_params(parent)["gamma"],
    ) != (run_params(best)["C"], run_params(best)["gamma"]):
        return review(
            f"le run parent ne résume pas le meilleur essai ({best.info.run_name}, "
            f"{best_score:.4f}).",
            "Sur le parent : mlflow.log_params(study.best_params) et "
            'mlflow.log_metric("cv_balanced_accuracy", study.best_value).',
        )
    return DONE, f"{len(trials)} essais recalculés, meilleur {best.info.run_name}.", ""


@check("tuning", "modele-final", "Le réglage retenu, mesuré une fois sur le test",
       experiment=tuning_experiment)  # fmt: skip
def tuning_final(store, course):
    experiment = tuning_experiment()
    parent = store.named(experiment, "etude-optuna")
    if parent is None or "accuracy" not in parent.data.metrics:
        return todo(
            f"pas de réglage final dans « {experiment} » (run « etude-optuna »).",
            "Exécutez le bloc « Le réglage retenu » (train_final).",
        )
    reference = course.svm(**run_params(parent))
    problem = check_seven(
        parent.data.metrics, *course.test_counts(reference), "etude-optuna"
    )
    if problem:
        return problem
    models = store.logged_models(experiment, parent)
    if not models:
        return review(
            "le run « etude-optuna » n'a pas de modèle.",
            "train_final(...) enregistre le modèle dans le run parent.",
        )
    problem = check_model(
        store, course, f"models:/{models[0].model_id}", reference, "Le modèle final"
    )
    return problem or (DONE, "métriques de test recalculées, modèle vérifié.", "")


def spark_experiment():
    from snippets.spark_study import SPARK_EXPERIMENT

    return SPARK_EXPERIMENT


@check("spark-study", "etude-spark", "L'étude lancée par Spark",
       experiment=spark_experiment)  # fmt: skip
def spark_study(store, course):
    from snippets.spark_study import N_TRIALS, STUDY_NAME

    experiment = spark_experiment()
    study = store.named(experiment, STUDY_NAME, finished=False)  # reprise : RUNNING
    if study is None:
        return todo(
            f"aucune étude « {STUDY_NAME} » dans « {experiment} ».",
            run_hint("Quand une machine ne suffit plus", "spark_study"),
        )
    trials = [t for t in store.children(study) if "value" in t.data.metrics]
    if len(trials) < N_TRIALS:
        return review(
            f"{len(trials)} essais terminés, {N_TRIALS} attendus.",
            "Relancez la page : l'étude reprend là où elle s'est arrêtée.",
        )
    best = max(trials, key=lambda trial: trial.data.metrics["value"])
    params = run_params(best)
    score = course.cv_balanced_accuracy(params["C"], params["gamma"])
    if not close(best.data.metrics["value"], score):
        return review(
            f"le meilleur essai vaut {best.data.metrics['value']:.4f}, {score:.4f} "
            "recalculé.",
            "L'objectif de la page « Régler sans tricher » : "
            "make_objective(X_train, y_train).",
        )
    return DONE, f"{len(trials)} essais, meilleur recalculé ({score:.4f}).", ""


def evaluation_experiment():
    from snippets.evaluation import EVALUATION_EXPERIMENT

    return EVALUATION_EXPERIMENT


EVALUATION_COUNTS = {
    "true_positives": 0,
    "false_positives": 1,
    "false_negatives": 2,
    "true_negatives": 3,
}
EVALUATION_FIGURES = [
    "confusion_matrix.png",
    "roc_curve_plot.png",
    "precision_recall_curve_plot.png",
]


def check_evaluation(store, run, expected, figures=EVALUATION_FIGURES):
    """Les comptes d'une évaluation (mlflow.models.evaluate) face à ceux recalculés."""
    metrics = run.data.metrics
    name = run.info.run_name
    if any(key not in metrics for key in EVALUATION_COUNTS):
        return review(
            f"{name} : pas de comptes de la matrice de confusion.",
            'mlflow.models.evaluate(..., model_type="classifier") dans le run.',
        )
    recorded = [metrics[key] for key in EVALUATION_COUNTS]
    tp, fp, fn, tn = expected
    if recorded == [tn, fn, fp, tp]:
        return review(
            f"{name} : {int(recorded[0] + recorded[2])} positifs, la classe bénigne.",
            'evaluator_config={"pos_label": MALIGNANT} : sans lui, mlflow.models.'
            "evaluate prend la classe 1 (bénigne) comme positive.",
        )
    if recorded != list(expected):
        return review(
            f"{name} : comptes {recorded}, {list(expected)} attendus.",
            "Évaluez le modèle du run sur le jeu de test du cours (to_datasets).",
        )
    missing = [figure for figure in figures if figure not in store.artifacts(run)]
    if missing:
        return review(
            f"{name} : artefacts absents : {', '.join(missing)}.",
            "Les courbes ROC et précision-rappel demandent predict_proba : "
            "SVC(probability=True), comme final_model.",
        )
    return None


@check("evaluation", "evaluation-modele-choisi", "L'évaluation du modèle choisi",
       experiment=evaluation_experiment)  # fmt: skip
def evaluation(store, course):
    experiment = evaluation_experiment()
    run = store.named(experiment, "evaluation-modele-choisi")
    parent = store.named(experiment, "etude-optuna")
    if run is None or parent is None:
        return todo(
            f"pas d'évaluation « evaluation-modele-choisi » dans « {experiment} ».",
            run_hint("Évaluer le modèle choisi", "evaluation"),
        )
    expected = course.test_counts(course.svm(**run_params(parent)))
    problem = check_evaluation(store, run, expected)
    return problem or (DONE, "comptes recalculés, trois figures.", "")


@check("evaluation", "trois-candidats", "Trois candidats à la porte de qualité",
       experiment=evaluation_experiment)  # fmt: skip
def evaluation_candidates(store, course):
    from snippets.evaluation import DEFAULT_PARAMS, WEAK_PARAMS

    experiment = evaluation_experiment()
    for run_name, params in [
        ("evaluation-svm-du-cours", DEFAULT_PARAMS),
        ("evaluation-svm-trop-regularise", WEAK_PARAMS),
    ]:
        run = store.named(experiment, run_name)
        if run is None:
            return todo(
                f"pas d'évaluation « {run_name} » dans « {experiment} ».",
                "Exécutez le bloc « Trois candidats à la porte ».",
            )
        expected = course.test_counts(course.svm(**params))
        problem = check_evaluation(store, run, expected, figures=[])
        if problem:
            return problem
    return DONE, "les deux autres candidats évalués, comptes recalculés.", ""


def registry_versions(store):
    """Les versions du modèle nommé du cours, avec leurs alias et le nom de leur run."""
    from mlflow.exceptions import MlflowException

    from snippets.registry import REGISTERED_MODEL

    try:
        model = store.client.get_registered_model(REGISTERED_MODEL)
    except MlflowException:
        return None, []
    found = store.client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
    versions = []
    for version in found:
        version = store.client.get_model_version(REGISTERED_MODEL, version.version)
        run = store.client.get_run(version.run_id) if version.run_id else None
        versions.append((version, run))
    return model, sorted(versions, key=lambda pair: int(pair[0].version))


def recomputed_sensitivity(course, run):
    """La sensibilité du modèle d'un run, réentraîné ici ; None si son modèle n'est
    pas un SVM du cours ni une famille des exercices."""
    if run is None:
        return None
    name = run.info.run_name
    if name in ("regression-logistique", "plus-proches-voisins"):
        model = course.family(name)
    elif "C" in run.data.params:
        model = course.svm(**run_params(run))
    else:
        return None
    return seven(*course.test_counts(model))["sensitivity"], model


@check("registry", "svm-tumeurs", "Le registre : versions, porte et alias champion",
       experiment=lambda: None)  # fmt: skip
def registry(store, course):
    from snippets.evaluation import SENSITIVITY_FLOOR
    from snippets.registry import REGISTERED_MODEL

    model, versions = registry_versions(store)
    if model is None or not versions:
        return todo(
            f"aucun modèle « {REGISTERED_MODEL} » dans le registre.",
            run_hint("Le registre des modèles", "registry"),
        )
    untagged = [str(v.version) for v, _ in versions if "quality_gate" not in v.tags]
    if untagged:
        return review(
            f"versions sans tag quality_gate : {', '.join(untagged)}.",
            "Passez chaque version par challenge(version, test_dataset) : il pose "
            "le tag.",
        )
    if "champion" not in model.aliases:
        return review(
            "aucune version n'a l'alias champion.",
            "challenge() pose l'alias champion sur une version qui franchit la porte.",
        )
    by_number = {str(v.version): (v, run) for v, run in versions}
    champion, champion_run = by_number[str(model.aliases["champion"])]
    if champion.tags["quality_gate"] != "passed":
        return review(
            f"le champion, version {champion.version}, n'a pas franchi la porte.",
            "L'alias champion ne bouge que par challenge(), porte franchie.",
        )
    for version, run in versions:
        found = recomputed_sensitivity(course, run)
        if (
            found
            and found[0] < SENSITIVITY_FLOOR
            and version.tags["quality_gate"] != "failed"
        ):
            return review(
                f"version {version.version} : sensibilité {found[0]:.3f} sous le "
                f"plancher {SENSITIVITY_FLOOR}, et pourtant quality_gate = "
                f"{version.tags['quality_gate']}.",
                "La porte de qualité (quality_gate) doit refuser cette version.",
            )
    found = recomputed_sensitivity(course, champion_run)
    if found:
        from snippets.registry import alias_uri

        problem = check_model(
            store, course, alias_uri("champion"), found[1], "Le champion"
        )
        if problem:
            return problem
    numbers = ", ".join(str(v.version) for v, _ in versions)
    return DONE, f"versions {numbers}, champion version {champion.version}.", ""


def algorithms_experiment():
    from snippets.algorithms import ALGORITHMS_EXPERIMENT

    return ALGORITHMS_EXPERIMENT


def consistent_seven(metrics, n_positive, n_negative):
    """Les sept métriques d'un run sont-elles celles d'une matrice de confusion du jeu
    de test ? (vrai ssi elles découlent d'entiers tp et tn)"""
    if any(name not in metrics for name in SEVEN):
        return False
    tp = round(metrics["sensitivity"] * n_positive)
    tn = round(metrics["specificity"] * n_negative)
    expected = seven(tp, n_negative - tn, n_positive - tp, tn)
    return all(close(metrics[name], expected[name]) for name in SEVEN)


@check("algorithms", "sept-familles", "Sept familles de modèles, un run chacune",
       experiment=algorithms_experiment)  # fmt: skip
def algorithms(store, course):
    from snippets.algorithms import model_families

    experiment = algorithms_experiment()
    _, _, _, y_test = course.split
    n_positive = int((y_test == MALIGNANT).sum())
    names = list(model_families())
    runs = {name: store.named(experiment, name) for name in names}
    missing = [name for name, run in runs.items() if run is None]
    if len(missing) == len(names):
        return todo(
            f"aucun run des sept familles dans « {experiment} ».",
            run_hint("Comparer plusieurs algorithmes", "algorithms"),
        )
    if missing:
        return review(
            f"familles sans run terminé : {', '.join(missing)}.",
            "Relancez la boucle sur model_families().",
        )
    for name, run in runs.items():
        if not consistent_seven(run.data.metrics, n_positive, len(y_test) - n_positive):
            return review(
                f"run {name} : les sept métriques ne viennent pas d'une même matrice "
                "de confusion du jeu de test.",
                "log_evaluation(model, X_test, y_test) dans chaque run.",
            )
    history = store.client.get_metric_history(
        runs["reseau-de-neurones"].info.run_id, "loss"
    )
    if len(history) < 2:
        return review(
            "le run reseau-de-neurones n'a pas l'historique de sa perte (loss).",
            "log_loss_curve(estimator.loss_curve_) : une valeur par époque.",
        )
    return DONE, f"sept runs, métriques cohérentes, {len(history)} valeurs de loss.", ""


def autolog_experiment():
    from snippets.autolog import AUTOLOG_EXPERIMENT

    return AUTOLOG_EXPERIMENT


@check("autolog", "svm-autolog", "Le SVM et la grille, journalisés automatiquement",
       experiment=autolog_experiment)  # fmt: skip
def autolog(store, course):
    from sklearn.metrics import precision_score

    experiment = autolog_experiment()
    run = store.named(experiment, "svm-autolog")
    if run is None:
        return todo(
            f"aucun run « svm-autolog » dans « {experiment} ».",
            run_hint("Autologging", "autolog"),
        )
    X_train, _, y_train, _ = course.split
    predicted = course.svm().predict(X_train)
    expected = precision_score(y_train, predicted, pos_label=MALIGNANT)
    weighted = precision_score(y_train, predicted, average="weighted")
    recorded = run.data.metrics.get("training_precision_score")
    if close(recorded, weighted) and not close(recorded, expected):
        return review(
            f"training_precision_score vaut {recorded:.4f} : la précision pondérée des "
            f"deux classes, pas celle de la classe maligne ({expected:.4f}).",
            "mlflow.sklearn.autolog(pos_label=MALIGNANT) : sans lui, autolog pondère.",
        )
    if not close(recorded, expected):
        return review(
            f"training_precision_score {recorded}, {expected:.4f} attendu.",
            "Activez l'autologging avant l'entraînement (bloc « Activer »).",
        )
    grid = store.named(experiment, "grille-autolog")
    if grid is None:
        return todo(
            "la recherche par grille (« grille-autolog ») manque.",
            "Exécutez le bloc de la recherche par grille.",
        )
    children = store.children(grid)
    if len(children) != 5:
        return review(
            f"{len(children)} runs enfants sous grille-autolog, 5 attendus.",
            "max_tuning_runs=5 dans mlflow.sklearn.autolog.",
        )
    return DONE, "précision de la classe maligne recalculée, grille et 5 enfants.", ""


@check("exercises", "exercice-1", "Exercice 1 : le F1 de la classe maligne")
def exercise_f1(store, course):
    run = store.named(store.course_experiment, "exercice-f1")
    if run is None:
        return todo(
            "aucun run « exercice-f1 ».", "Exercice 1 de la page « Exercices »."
        )
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    expected = 2 * tp / (2 * tp + fp + fn)
    benign = 2 * tn / (2 * tn + fn + fp)
    recorded = run.data.metrics.get("f1")
    if recorded is None:
        other = find_renamed(run.data.metrics, expected, SEVEN)
        if other:
            return review(
                f"la métrique f1 manque ; « {other} » porte sa valeur.",
                'Nommez-la f1 : mlflow.log_metric("f1", ...).',
            )
        return review(
            "la métrique f1 manque.", 'mlflow.log_metric("f1", f1_score(...)).'
        )
    if close(recorded, benign) and not close(recorded, expected):
        return review(
            f"f1 vaut {recorded:.4f} : le F1 de la classe bénigne ; "
            f"{expected:.4f} attendu.",
            "f1_score(y_test, y_pred, pos_label=MALIGNANT) : scikit-learn prend 1 "
            "(bénigne) par défaut.",
        )
    if not close(recorded, expected):
        return review(f"f1 vaut {recorded:.4f}, {expected:.4f} attendu.", "")
    return check_seven(run.data.metrics, tp, fp, fn, tn, "exercice-f1") or (
        DONE,
        f"F1 de la classe maligne {expected:.3f} recalculé.",
        "",
    )


@check("exercises", "exercice-2", "Exercice 2 : la courbe ROC comme artefact")
def exercise_roc(store, course):
    from sklearn.metrics import roc_auc_score

    run = store.named(store.course_experiment, "exercice-roc")
    if run is None:
        return todo(
            "aucun run « exercice-roc ».", "Exercice 2 de la page « Exercices »."
        )
    if "roc_curve.png" not in store.artifacts(run):
        return review(
            "l'artefact roc_curve.png manque.",
            'mlflow.log_figure(display.figure_, "roc_curve.png") dans le run.',
        )
    _, X_test, _, y_test = course.split
    scores = -course.svm(**run_params(run)).decision_function(X_test)
    expected = roc_auc_score(y_test == MALIGNANT, scores)
    recorded = run.data.metrics.get("roc_auc")
    if close(recorded, 1 - expected) and not close(recorded, expected):
        return review(
            f"roc_auc vaut {recorded:.4f} : l'aire de la classe bénigne.",
            "decision_function est positive pour la classe 1 : prenez son opposé, "
            "-model.decision_function(X_test).",
        )
    if not close(recorded, expected):
        shown = "absente" if recorded is None else f"{recorded:.4f}"
        return review(f"roc_auc {shown}, {expected:.4f} attendu.", "")
    return DONE, f"courbe enregistrée, aire {expected:.3f} recalculée.", ""


@check("exercises", "exercice-3", "Exercice 3 : deux noyaux")
def exercise_kernels(store, course):
    runs = store.runs(store.course_experiment, "tags.exercice = 'noyaux'")
    kernels = {}
    for run in runs:
        kernels.setdefault(run.data.params.get("kernel"), run)
    missing = [k for k in ("rbf", "linear") if k not in kernels]
    if len(missing) == 2:
        return todo(
            "aucun run tagué exercice = noyaux.", "Exercice 3 de la page « Exercices »."
        )
    if missing:
        return review(
            f"le noyau {missing[0]} manque.", "Un run par noyau : rbf et linear."
        )
    for kernel in ("rbf", "linear"):
        run = kernels[kernel]
        tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
        problem = check_seven(run.data.metrics, tp, fp, fn, tn, f"noyau {kernel}")
        if problem:
            return problem
    return DONE, "rbf et linear, métriques recalculées.", ""


@check(
    "exercises", "exercice-6", "Exercice 6 : un run sur le serveur", server_only=True
)
def exercise_server(store, course):
    run = store.named(store.course_experiment, "sur-serveur")
    if run is None:
        return todo("aucun run « sur-serveur » sur ce serveur.", "Exercice 6.")
    tp, fp, fn, tn = course.test_counts(course.svm(**run_params(run)))
    return check_seven(run.data.metrics, tp, fp, fn, tn, "sur-serveur") or (
        DONE,
        "le run est sur le serveur, métriques recalculées.",
        "",
    )


FAMILIES_EXPERIMENT = "exercice-familles"


@check("exercises", "exercice-7", "Exercice 7 : deux autres familles sous la porte",
       experiment=lambda: FAMILIES_EXPERIMENT)  # fmt: skip
def exercise_families(store, course):
    found = 0
    for name in ("regression-logistique", "plus-proches-voisins"):
        run = store.named(FAMILIES_EXPERIMENT, f"evaluation-{name}")
        if run is None:
            continue
        found += 1
        expected = course.test_counts(course.family(name))
        problem = check_evaluation(store, run, expected, figures=[])
        if problem:
            return problem
    if found == 0:
        return todo(
            f"aucune évaluation dans « {FAMILIES_EXPERIMENT} ».",
            "Exercice 7 de la page « Exercices ».",
        )
    if found == 1:
        return review("une des deux familles n'est pas évaluée.", "Évaluez les deux.")
    return DONE, "les deux familles évaluées, comptes recalculés.", ""


@check("exercises", "exercice-8", "Exercice 8 : un challenger promu par la porte seule",
       experiment=lambda: None)  # fmt: skip
def exercise_promotion(store, course):
    from snippets.evaluation import SENSITIVITY_FLOOR

    model, versions = registry_versions(store)
    families = {
        run.info.run_name: version
        for version, run in versions
        if run is not None
        and run.info.run_name in ("regression-logistique", "plus-proches-voisins")
    }
    if not families:
        return todo(
            "aucune version des familles de l'exercice 7 dans le registre.",
            "Exercice 8 de la page « Exercices ».",
        )
    for name, version in families.items():
        sensitivity = seven(*course.test_counts(course.family(name)))["sensitivity"]
        gate = version.tags.get("quality_gate")
        if gate is None:
            return review(
                f"version {version.version} ({name}) sans tag quality_gate.",
                "Passez chaque version par challenge(version, test_dataset).",
            )
        champion = str(model.aliases.get("champion")) == str(version.version)
        if sensitivity < SENSITIVITY_FLOOR and (gate != "failed" or champion):
            return review(
                f"version {version.version} ({name}) : sensibilité {sensitivity:.3f}, "
                f"sous le plancher, mais quality_gate = {gate}.",
                "Seule la porte déplace l'alias champion.",
            )
    return DONE, f"{len(families)} versions passées par la porte.", ""


def tracking_uri_in_use(cli_uri):
    """L'URI de suivi selon les règles du cours : l'option, MLFLOW_TRACKING_URI, sinon
    mlflow.db du dossier courant."""
    return cli_uri or os.environ.get("MLFLOW_TRACKING_URI") or "sqlite:///mlflow.db"


def sqlite_path(uri):
    path = unquote(uri.removeprefix("sqlite:///"))
    return Path(path).expanduser().resolve()


def check_sqlite(uri):
    """Une base SQLite que MLflow créerait ou modifierait est refusée avant lui."""
    path = sqlite_path(uri)
    if not path.is_file():
        raise StoreError(
            f"Aucun magasin de suivi ici : {path} n'existe pas.\n"
            "Lancez la vérification depuis le dossier où vous avez exécuté le code des "
            "pages (celui qui contient mlflow.db), ou donnez --tracking-uri."
        )
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # lecture seule
        try:
            tables = {
                row[0] for row in connection.execute("select name from sqlite_master")
            }
            if not {"experiments", "runs", "alembic_version"} <= tables:
                raise StoreError(f"{path} n'est pas un magasin de suivi MLflow.")
            [(revision,)] = connection.execute(
                "select version_num from alembic_version"
            )
            default = connection.execute(
                "select count(*) from experiments where experiment_id = 0"
            ).fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(
            f"{path} n'est pas un magasin de suivi MLflow ({error})."
        ) from None
    check_schema(path, revision)
    if not default:
        raise StoreError(
            f"{path} n'a plus l'expérience Default : MLflow la recréerait en "
            "l'ouvrant.\nRien n'est modifié ici ; ouvrez le magasin une fois avec "
            "MLflow (mlflow ui), puis relancez."
        )
    return f"sqlite:///{path}"


def check_schema(path, revision):
    """La version du schéma de la base face à celle du MLflow installé."""
    import mlflow
    from mlflow.store.db.utils import _get_latest_schema_revision

    head = _get_latest_schema_revision()
    if revision == head:
        return
    migrations = Path(mlflow.__file__).parent / "store" / "db_migrations" / "versions"
    older = any(migrations.glob(f"{revision}_*.py"))
    if older:
        raise StoreError(
            f"{path} vient d'une version plus ancienne de MLflow que celle du cours "
            f"({mlflow.__version__}).\nFaites-en une copie, puis mettez-la à jour : "
            f'mlflow db upgrade "sqlite:///{path}"'
        )
    raise StoreError(
        f"{path} vient d'une version de MLflow plus récente que celle du cours "
        f"({mlflow.__version__}).\nInstallez la version du cours dans un autre "
        "environnement pour ce dossier, ou vérifiez avec la version qui l'a écrit."
    )


def open_store(uri, experiment_name):
    """Le magasin, ouvert en lecture ; StoreError si on ne peut pas le lire."""
    from mlflow.exceptions import MlflowException

    if uri.startswith("sqlite:"):
        uri = check_sqlite(uri)
    else:
        problem = store_problem(uri)  # une URI qui ne peut pas marcher
        if problem:
            raise StoreError(problem)
    store = Store(uri, experiment_name)
    try:
        experiments = store.client.search_experiments()
    except MlflowException as error:
        import mlflow

        from snippets.cli import explain

        mlflow.set_tracking_uri(uri)
        raise StoreError(explain(error) or str(error).splitlines()[0]) from None
    except Exception as error:  # noqa: BLE001 (un magasin illisible, quelle qu'en soit la cause)
        raise StoreError(
            f"Le magasin {uri} ne peut pas être lu : {str(error).splitlines()[0]}\n"
            f"Vérifiez l'URI de suivi ({unset_command('MLFLOW_TRACKING_URI')} pour "
            "revenir à mlflow.db du dossier courant)."
        ) from None
    names = sorted(e.name for e in experiments if e.name != "Default")
    if experiment_name != COURSE_EXPERIMENT and experiment_name not in names:
        raise StoreError(
            f"L'expérience « {experiment_name} » n'existe pas dans {uri}.\n"
            f"Expériences présentes : {', '.join(names) or 'aucune'}."
        )
    return store


def verify(store, pages=None, course=None):
    """Les vérifications des pages demandées (toutes par défaut), dans l'ordre du
    cours."""
    course = course or Course()
    on_server = urlparse(store.uri).scheme in ("http", "https", "databricks")
    items = []
    for page, key, title, experiment, server_only, function in CHECKS:
        if pages and page not in pages:
            continue
        if not pages and page == "databricks-tracking":
            continue  # les mêmes runs que le balayage, dans un espace Databricks
        if server_only and not on_server:
            continue
        # Avec --experiment, seules les étapes de l'expérience du cours sont lues.
        if store.course_experiment != COURSE_EXPERIMENT and experiment is not None:
            continue
        status, detail, hint = function(store, course)
        items.append(Item(page, key, title, status, detail, hint))
    return items


PAGES = sorted({page for page, *_ in CHECKS}, key=[p for p, *_ in CHECKS].index)


def report(items, uri, out=None):
    """Une ligne par étape, son verdict d'abord, l'indice dessous ; puis le bilan."""
    out = out or sys.stdout
    print(f"Magasin de suivi : {uri}", file=out)
    width = max(len(DONE), len(TODO), len(REVIEW))
    for item in items:
        print(f"{item.status:<{width}}  {item.title} : {item.detail}", file=out)
        if item.hint:
            print(f"{'':<{width}}  → {item.hint}", file=out)
    tally = ", ".join(
        f"{status} {sum(item.status == status for item in items)}"
        for status in (DONE, TODO, REVIEW)
    )
    plural = "s" if len(items) > 1 else ""
    print(f"Bilan : {tally} ({len(items)} étape{plural} vérifiée{plural}).", file=out)


def parse_args(argv=None):
    parser = FrenchArgumentParser(
        prog="python -m snippets.verifier",
        description="Vérifie votre travail dans votre magasin de suivi, sans rien "
        "y écrire.",
    )
    parser.add_argument(
        "--page",
        action="append",
        choices=PAGES,
        metavar="NOM",
        help=f"une page seulement (répétable) : {', '.join(PAGES)}",
    )
    parser.add_argument(
        "--tracking-uri",
        help="le magasin à lire (défaut : MLFLOW_TRACKING_URI, sinon mlflow.db)",
    )
    parser.add_argument(
        "--experiment",
        help="l'expérience du cours à lire, à la place de svm-cancer-du-sein "
        "(les pages « Aller plus loin » gardent les leurs et ne sont pas vérifiées)",
    )
    parser.add_argument("--json", action="store_true", help="le résultat en JSON")
    return parser.parse_args(argv)


def quiet():
    """Les avertissements de MLflow et de scikit-learn ne concernent pas la
    vérification."""
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def main(argv=None):
    args = parse_args(argv)
    quiet()
    uri = tracking_uri_in_use(args.tracking_uri)
    experiment = (
        args.experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME") or COURSE_EXPERIMENT
    )
    try:
        store = open_store(uri, experiment)
    except StoreError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    items = verify(store, args.page)
    if not items:
        print(
            "Erreur : aucune étape à vérifier. Les pages « Aller plus loin » gardent "
            "leurs propres expériences :\nretirez --experiment pour les vérifier.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps({"tracking_uri": uri, "experiment": experiment,
                          "items": [asdict(item) for item in items]},
                         ensure_ascii=False, indent=1))  # fmt: skip
    else:
        report(items, uri)  # l'URI telle que vous l'avez donnée
        if not args.page or "exercises" in args.page:
            if urlparse(store.uri).scheme == "sqlite":
                print(
                    "L'exercice 6 se vérifie sur le serveur : python -m "
                    "snippets.verifier --tracking-uri http://127.0.0.1:5000 "
                    "--page exercises"
                )
    return 0 if all(item.status == DONE for item in items) else 1


if __name__ == "__main__":
    from snippets.cli import run_command

    run_command(
        lambda: sys.exit(main()),
        interrupted="Interrompu (Ctrl+C) : rien n'a été écrit.",
    )
