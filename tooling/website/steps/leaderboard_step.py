"""L'étape leaderboard : le classement de la classe (page « Serveur de suivi partagé »), tiré
d'un vrai magasin.

record() enregistre, dans un magasin SQLite neuf, les runs de quatre apprenants faits par le
code du cours (snippets.train.train_and_log, sans modèle) : Alice et Bob atteignent le même
meilleur score (ex æquo au rang 1), Alice deux fois (le run lancé le premier l'emporte), Chloé
reste derrière, et le seul run de David n'a jamais fini (un noyau arrêté en plein run). Puis
il lance la commande du classement, comme l'enseignant, et garde ce qu'elle affiche.

Ce module n'importe pas MLflow (la génération l'importe) : record() le fait.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from tooling.website.step import Step

PREFIX = "svm-cancer-du-sein-"
# Les réglages (C, gamma) de chaque apprenant, dans l'ordre où il les a lancés.
LEARNERS = {
    "alice": [(1.0, "scale"), (0.1, 0.1), (10.0, 0.01)],
    "bob": [(1.0, 0.01), (10.0, "scale")],
    "chloe": [(0.1, 0.1), (1.0, 0.1)],
}
UNFINISHED = "david"  # son run est resté RUNNING
TIMEOUT = 120  # secondes, pour la commande du classement


def record(out, folder):
    """Dans un processus de travail (l'environnement d'un apprenant) : les runs de la classe
    dans folder/mlflow.db, puis out/leaderboard.txt, ce qu'affiche
    python -m snippets.teacher.leaderboard --prefix svm-cancer-du-sein- lancé dans folder."""
    import mlflow

    from snippets.train import train_and_log

    out, folder = Path(out), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    # Dans le dossier de la classe : MLflow y range les artefacts (./mlruns du dossier courant).
    previous = os.getcwd()
    os.chdir(folder)
    try:
        for learner, settings in LEARNERS.items():
            mlflow.set_experiment(f"{PREFIX}{learner}")
            for C, gamma in settings:
                train_and_log(C=C, gamma=gamma, log_model=False)
        # Un run commencé puis abandonné : créé, jamais terminé.
        experiment = mlflow.set_experiment(f"{PREFIX}{UNFINISHED}")
        client = mlflow.MlflowClient()
        run = client.create_run(experiment.experiment_id, run_name="svm-C1.0-gammascale")
        client.log_param(run.info.run_id, "C", 1.0)
        client.log_param(run.info.run_id, "gamma", "scale")
    finally:
        mlflow.set_tracking_uri(None)
        os.chdir(previous)
    recorded = time.monotonic() - started
    result = subprocess.run(
        [sys.executable, "-m", "snippets.teacher.leaderboard", "--prefix", PREFIX],
        cwd=folder,
        env={**os.environ, "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Le classement n'a pas tourné :\n{result.stderr[-3000:]}")
    (out / "leaderboard.txt").write_text(result.stdout)
    print(
        f"Classement : runs en {recorded:.1f} s, commande en "
        f"{time.monotonic() - started - recorded:.1f} s"
    )


STEP = Step("leaderboard", ["leaderboard.txt"], module=__name__, finish=record, cost=1)
