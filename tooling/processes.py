"""Des processus réels sur 127.0.0.1 : un port libre, l'environnement d'un terminal d'apprenant,
un serveur attendu avec un délai, puis arrêté par son identifiant de processus."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
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
