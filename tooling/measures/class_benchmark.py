"""L'essai de charge d'une classe, mesuré : python -m snippets.teacher.class_load lancé sur le
serveur de la page « Serveur de suivi partagé » (ses commandes, ses comptes), monté ici sur
127.0.0.1 avec un vrai PostgreSQL, puis sur SQLite, et dans deux variantes (un seul worker,
sans cache des mots de passe), pour que la page tire de mesures ses conseils de
dimensionnement.

    python -m tooling.measures.class_benchmark [--learners 30] [--only NOM…] [--output FICHIER]

Écrit measurements/class_load.txt (ou --output), et l'affiche. Les apprenants et le serveur
partagent ici la même machine : les temps sont ceux d'un serveur qui n'a pas ses cœurs à lui.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from snippets.teacher.class_load import seconds_text as seconds
from tooling import ROOT, command_line
from tooling.servers.page_server import create_database, page_server
from tooling.servers.processes import learner_environment, postgresql

# nom : (base, workers, cache des mots de passe, ce que c'est)
SERVERS = {
    "page": ("postgresql", 4, True, "PostgreSQL, 4 workers, cache (la page)"),
    "sqlite": ("sqlite", 4, True, "SQLite, 4 workers, cache"),
    "one_worker": ("postgresql", 1, True, "PostgreSQL, 1 worker, cache"),
    "no_cache": ("postgresql", 4, False, "PostgreSQL, 4 workers, sans cache"),
}
FIELDS = [
    "runs_expected", "runs_recorded", "runs_lost", "runs_duplicated", "runs_unfinished",
    "failed_requests", "run_seconds_median", "run_seconds_p95", "model_run_seconds_median",
    "total_seconds",
]  # fmt: skip


def measure(name, learners, folder):
    """Un serveur de SERVERS, neuf, puis l'essai de charge ; son résultat (--json)."""
    backend, workers, cache, _ = SERVERS[name]
    with tempfile.TemporaryDirectory(prefix=f"serveur-{name}-", dir=folder) as server_dir:
        if backend == "postgresql":
            with postgresql() as (port, psql):
                create_database(psql)
                with page_server(server_dir, port, workers, cache) as server:
                    return load(server, learners, folder)
        with page_server(server_dir, None, workers, cache) as server:
            return load(server, learners, folder)


def load(server, learners, folder):
    env = learner_environment(
        MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=server.admin_password
    )
    result = subprocess.run(
        [sys.executable, "-m", "snippets.teacher.class_load", "--tracking-uri", server.uri,
         "--learners", str(learners), "--json"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"snippets.teacher.class_load a échoué :\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def table(results, learners, loads):
    postgres = sorted(path.name for path in Path("/usr/lib/postgresql").glob("*"))
    lines = [
        f"Essai de charge : {learners} apprenants lancent en même temps le balayage du cours "
        "(21 runs chacun), un compte chacun",
        f"MLflow {version('mlflow')}, PostgreSQL {postgres[-1] if postgres else '?'}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cœurs ; "
        "serveur et apprenants sur la même machine",
        f"Charge de la machine (load average) : {loads[0]:.1f}, puis {loads[1]:.1f}",
        "",
        f"{'Serveur':<40}{'perdus':>7}{'doublés':>9}{'requêtes':>10}"
        f"{'run médian':>12}{'run 95e c.':>12}{'modèle':>12}{'total':>13}",
        f"{'':<40}{'':>7}{'':>9}{'en échec':>10}",
    ]
    for name, result in results.items():
        lines.append(
            f"{SERVERS[name][3]:<40}{result['runs_lost']:>7}{result['runs_duplicated']:>9}"
            f"{result['failed_requests']:>10}{seconds(result['run_seconds_median']):>12}"
            f"{seconds(result['run_seconds_p95']):>12}"
            f"{seconds(result['model_run_seconds_median']):>12}"
            f"{seconds(result['total_seconds']):>13}"
        )
    lines.append("")
    for name, result in results.items():
        for key in FIELDS:
            value = result[key]
            lines.append(f"{name}.{key}={round(value, 2) if isinstance(value, float) else value}")
        lines.append(f"{name}.failed_learners={len(result['failed_learners'])}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = command_line(
        __spec__, "L'essai de charge d'une classe, mesuré sur le serveur de la page."
    )
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--only", nargs="+", choices=list(SERVERS), default=list(SERVERS))
    parser.add_argument("--output", type=Path, default=ROOT / "measurements" / "class_load.txt")
    args = parser.parse_args(argv)
    results = {}
    first = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="essai-de-charge-") as folder:
        for name in args.only:
            started = time.monotonic()
            print(f"{SERVERS[name][3]} : {args.learners} apprenants…", flush=True)
            results[name] = measure(name, args.learners, Path(folder))
            print(f"  {time.monotonic() - started:.0f} s", flush=True)
            for failure in results[name]["failed_learners"][:3]:
                print(f"  {failure['experiment']} : {failure['error']}", flush=True)
    text = table(results, args.learners, (first, os.getloadavg()[0]))
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
