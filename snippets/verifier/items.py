"""Ce que partagent les vérifications : le verdict d'une étape (fait, pas encore, à
revoir), le registre des vérifications dans l'ordre du cours, et les contrôles
communs (les sept métriques d'un run, un modèle qui se charge et prédit).
"""

import importlib
import tempfile
from dataclasses import dataclass

import numpy as np

from snippets.verifier.oracle import SEVEN, close, seven

DONE, TODO, REVIEW = "fait", "pas encore", "à revoir"


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


def in_registry():
    """Où lisent les vérifications du registre des modèles : dans aucune expérience ;
    avec --experiment (un apprenant sur un serveur partagé), elles ne sont pas lues."""
    return None


class NotYet(Exception):
    """Une étape pas encore faite, constatée au milieu de sa vérification : son
    verdict."""

    def __init__(self, detail, hint):
        super().__init__(detail)
        self.verdict = todo(detail, hint)


class Page:
    """Une page du cours et ses vérifications : son nom (celui de son fichier), son
    titre, et la constante de son module qui nomme l'expérience où elle écrit (None :
    celle du cours)."""

    def __init__(self, name, title, experiment=None):
        self.name, self.title, self.constant = name, title, experiment
        self.module = name.replace("-", "_")
        self.hint = run_hint(title, self.module)

    def experiment(self):
        """L'expérience de la page, lue dans son module quand on s'en sert : la page
        importe scikit-learn, et seules les pages vérifiées doivent l'être."""
        module = importlib.import_module(f"snippets.{self.module}")
        return getattr(module, self.constant)

    def check(self, key, title, experiment=None, server_only=False):
        """Enregistre une vérification de la page, dans l'ordre du cours."""
        experiment = experiment or (self.experiment if self.constant else None)
        return check(self.name, key, title, experiment, server_only)

    def run(self, store, run_name, finished=False):
        """Le run terminé de ce nom dans l'expérience de la page ; sans lui, l'étape
        n'est « pas encore » faite (NotYet). finished : le message dit « terminé »."""
        experiment = self.experiment() if self.constant else store.course_experiment
        run = store.named(experiment, run_name)
        if run is None:
            state = " terminé" if finished else ""
            detail = f"aucun run « {run_name} »{state} dans « {experiment} »."
            raise NotYet(detail, self.hint)
        return run


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
