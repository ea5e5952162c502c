"""Le serveur de la page « Serveur de suivi partagé », lancé par les commandes mêmes de la page
(snippets/shared_server.sh et .ini), les valeurs d'exemple remplacées : sur 127.0.0.1, un port
libre, un dossier temporaire. Les tests du serveur partagé et de l'essai de charge, et la mesure
de l'essai de charge (tooling.measures.class_benchmark), le partagent."""

import contextlib
import re
import shlex
import subprocess
from pathlib import Path
from types import SimpleNamespace

from tooling import ROOT
from tooling.sections import section
from tooling.servers.processes import free_port, started

EXAMPLE_SERVER = "http://mlflow.mon-ecole.fr:5000"
CACHE_LINE = "auth_cache_ttl_seconds = 60"


def substituted(name, replacements):
    """Une section (shared_server.sh:nom), chaque valeur d'exemple remplacée, chacune une fois."""
    text = section(name)
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def exported(text, name):
    """La valeur que la commande text donne à la variable name (export NOM=valeur)."""
    return re.search(rf'^export {name}="?([^"\n]*)"?$', text, re.M).group(1)


def create_database(psql):
    """La base et l'utilisateur mlflow, par la commande de la page (section 2)."""
    database = substituted("shared_server.sh:database", {"sudo -u postgres psql": shlex.join(psql)})
    subprocess.run(["bash", "-c", database], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def page_server(folder, pg_port=None, workers=1, auth_cache=True, timeout=180):
    """Le serveur de la section 4, avec la configuration des comptes de la section 3, sur la
    base PostgreSQL de pg_port (créée par create_database), ou, sans pg_port, sur une base
    SQLite de folder ; workers processus ; auth_cache=False retire le cache des mots de passe.
    Donne uri, artifacts, database (l'URI du magasin) et admin_password."""
    folder = Path(folder)
    config = (ROOT / "snippets" / "shared_server.ini").read_text()
    assert config.count("/srv/mlflow/") == 1 and config.count(CACHE_LINE) == 1
    if not auth_cache:
        config = config.replace(CACHE_LINE, "auth_cache_ttl_seconds = 0")
    (folder / "basic_auth.ini").write_text(config.replace("/srv/mlflow/", f"{folder}/"))
    port = free_port()
    database = f"127.0.0.1:{pg_port}" if pg_port else "localhost:5432"
    command = substituted(
        "shared_server.sh:server",
        {
            "localhost:5432": database,
            "/srv/mlflow/basic_auth.ini": str(folder / "basic_auth.ini"),
            "/srv/mlflow/artifacts": str(folder / "artifacts"),
            "--host 0.0.0.0 --port 5000 --workers 4": (
                f"--host 127.0.0.1 --port {port} --workers {workers}"
            ),
        },
    )
    if not pg_port:
        postgresql_uri = exported(command, "MLFLOW_BACKEND_STORE_URI")
        command = command.replace(postgresql_uri, f"sqlite:///{folder / 'mlflow.db'}")
    health = f"http://127.0.0.1:{port}/health"
    with started(command, health, folder, timeout=timeout, log=folder / "server.log"):
        yield SimpleNamespace(
            uri=f"http://127.0.0.1:{port}",
            artifacts=folder / "artifacts",
            database=exported(command, "MLFLOW_BACKEND_STORE_URI"),
            admin_password=exported(command, "MLFLOW_AUTH_ADMIN_PASSWORD"),
        )
