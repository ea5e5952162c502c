"""Des processus réels sur 127.0.0.1 : un port libre, l'environnement d'un terminal d'apprenant,
un serveur attendu avec un délai, puis arrêté par son identifiant de processus."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# Pas de télémétrie : rien ne doit sortir de la machine.
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def learner_environment(base=None, **extra):
    """Le terminal d'un apprenant : les commandes du venv, aucune variable MLFLOW_*, aucun
    PYTHONPATH, figures sans écran, sans télémétrie ; puis extra."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not k.startswith("MLFLOW_") and k != "PYTHONPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(QUIET, MPLBACKEND="Agg")
    env.update(extra)
    return env


def stop(process, first=signal.SIGTERM):
    """Arrête par son identifiant un processus lancé avec start_new_session=True, et ses enfants."""
    if process.poll() is None:
        os.killpg(process.pid, first)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_http(url, process, timeout):
    """Interroge url jusqu'à une réponse 200 ; échoue si le processus meurt ou après timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"le processus s'est arrêté (code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} ne répond pas après {timeout} s")
        time.sleep(0.25)


@contextlib.contextmanager
def started(command, health_url, cwd, env=None, timeout=180, log=None):
    """Lance command (liste, ou texte pour bash), attend health_url, puis l'arrête en sortie."""
    if isinstance(command, str):
        command = ["bash", "-c", command]
    output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (fermé plus bas)
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env if env is not None else learner_environment(),
        stdout=output,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        try:
            wait_for_http(health_url, process, timeout)
        except (RuntimeError, TimeoutError) as error:
            detail = Path(log).read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"{' '.join(map(str, command))} : {error}\n{detail}") from None
        yield process
    finally:
        stop(process)
        if log:
            output.close()


@contextlib.contextmanager
def mlflow_server(folder, *options, timeout=180):
    """Un vrai `mlflow server` (un seul worker) sur le magasin SQLite de folder ; donne son
    adresse. options s'ajoutent à la commande (--default-artifact-root, par exemple) ; sans
    elles, le serveur sert ses artefacts depuis folder/mlartifacts."""
    folder = Path(folder)
    port = free_port()
    options = options or ("--artifacts-destination", str(folder / "mlartifacts"))
    command = [
        str(Path(sys.executable).parent / "mlflow"), "server",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
        "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
        *options,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with started(command, f"{url}/health", folder, timeout=timeout, log=folder / "server.log"):
        yield url


POSTGRESQL_HELP = (
    "PostgreSQL est introuvable (/usr/lib/postgresql/*/bin/postgres) : "
    "sudo apt-get install postgresql"
)


@contextlib.contextmanager
def postgresql():
    """Un vrai serveur PostgreSQL des paquets du système, dans un dossier de données neuf, sur
    127.0.0.1 ; donne (port, commande psql du superutilisateur). Mots de passe exigés en TCP,
    comme sur un vrai serveur ; le superutilisateur passe par le socket Unix du dossier.
    FileNotFoundError (POSTGRESQL_HELP) sans PostgreSQL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise FileNotFoundError(POSTGRESQL_HELP)
    bin_dir = Path(found[-1]).parent
    # PostgreSQL refuse de tourner en root : ses fichiers et son processus sont alors à postgres.
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="postgresql-"))
    if user:
        shutil.chown(folder, user)
    data = folder / "data"
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C",
         "--auth-local=trust", "--auth-host=scram-sha-256"],
        user=user, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [bin_dir / "postgres", "-D", data, "-p", str(port), "-k", folder,
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        user=user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    psql = [str(bin_dir / "psql"), "-h", str(folder), "-p", str(port), "-U", "postgres"]
    try:
        deadline = time.monotonic() + 60
        ready = [*psql, "-c", "SELECT 1"]
        while subprocess.run(ready, capture_output=True, check=False).returncode:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL n'a pas démarré en 60 s")
            time.sleep(0.2)
        yield port, psql
    finally:
        stop(server, signal.SIGINT)  # arrêt « fast » : les clients sont déconnectés
        shutil.rmtree(folder, ignore_errors=True)
