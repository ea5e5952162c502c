"""L'URI de suivi du cours, en un seul endroit : d'où elle vient (l'option, la variable
MLFLOW_TRACKING_URI, sinon mlflow.db du dossier courant), ce que les commandes suivent,
et le magasin ouvert en lecture seule, sans rien y créer.

Les messages nomment toujours l'URI utilisée.
"""

import logging
import os
import sqlite3
import warnings
from pathlib import Path
from urllib.parse import unquote

from snippets.cli import explain, store_problem, unset_command

# Les valeurs de la page « Premier run » (snippets.first_run, qui importe scikit-learn).
COURSE_TRACKING_URI = "sqlite:///mlflow.db"
COURSE_EXPERIMENT = "svm-cancer-du-sein"

FROM_OPTION = "option --tracking-uri"
FROM_ENVIRONMENT = "variable d'environnement MLFLOW_TRACKING_URI"
FROM_COURSE = "défaut du cours : mlflow.db du dossier courant"


def resolve_tracking_uri(option=None, environ=None):
    """L'URI de suivi et sa source, en français : l'option, sinon MLFLOW_TRACKING_URI
    (une variable vide compte comme absente), sinon mlflow.db du dossier courant."""
    environ = os.environ if environ is None else environ
    if option:
        return option, FROM_OPTION
    if environ.get("MLFLOW_TRACKING_URI"):
        return environ["MLFLOW_TRACKING_URI"], FROM_ENVIRONMENT
    return COURSE_TRACKING_URI, FROM_COURSE


def resolve_experiment(option=None, environ=None):
    """L'expérience : l'option, sinon MLFLOW_EXPERIMENT_NAME, sinon celle du cours."""
    environ = os.environ if environ is None else environ
    return option or environ.get("MLFLOW_EXPERIMENT_NAME") or COURSE_EXPERIMENT


def quiet():
    """Les avertissements de MLflow et de scikit-learn ne concernent pas la
    vérification."""
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def follow(uri, experiment):
    """Les commandes du cours écrivent dans uri, sous experiment : setup_tracking() les
    prend à la place des valeurs de la page « Premier run », qui ne changent pas."""
    import snippets.first_run

    snippets.first_run.TRACKING_URI = uri
    snippets.first_run.EXPERIMENT_NAME = experiment


def sqlite_path(uri):
    """Le fichier d'une URI sqlite:///…, en chemin absolu."""
    path = unquote(uri.removeprefix("sqlite:///"))
    return Path(path).expanduser().resolve()


class StoreError(Exception):
    """Un magasin qu'on ne peut pas lire : le message français à afficher."""


class ReadOnlyStore:
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


def check_sqlite(uri):
    """Une base SQLite que MLflow créerait ou modifierait est refusée avant lui ;
    l'URI absolue de la base sinon."""
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
    if any(migrations.glob(f"{revision}_*.py")):
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


def open_read_only(uri, experiment_name):
    """Le magasin uri, ouvert en lecture ; StoreError si on ne peut pas le lire."""
    from mlflow.exceptions import MlflowException

    if uri.startswith("sqlite:"):
        uri = check_sqlite(uri)
    else:
        problem = store_problem(uri)  # une URI qui ne peut pas marcher
        if problem:
            raise StoreError(problem)
    store = ReadOnlyStore(uri, experiment_name)
    try:
        experiments = store.client.search_experiments()
    except MlflowException as error:
        raise StoreError(explain(error, uri) or str(error).splitlines()[0]) from None
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
