"""`mkdocs serve` answers at once: a page whose generation step has not run yet shows a stand-in
that says so, the step runs apart, and the page, open in a real headless Chromium, shows the
step's real output without anyone reloading it; the terminal says the step's progress."""

import json
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT, chromium_or_skip

from tooling.captures import ui_tour
from tooling.servers.processes import free_port, learner_environment, stop, wait_for_http
from tooling.website import generation

STEP = "leaderboard"  # a short step, shown by the page « Serveur de suivi partagé »
PAGE = "shared-server/"


@pytest.fixture
def step_not_generated(site):
    """The cache of every step but STEP, as the build left it; STEP's own folder removed."""
    folder = generation.step_dirs()[STEP]
    assert (folder / "DONE").exists()
    shutil.rmtree(folder)
    yield folder
    assert (folder / "DONE").exists()  # mkdocs serve made it again


def test_a_page_shows_a_stand_in_then_its_real_output_by_itself(step_not_generated, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "serve.log"
    env = learner_environment(NO_MKDOCS_2_WARNING="1")
    env.pop("MPLBACKEND")
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_http(url, server, timeout=120)
            with ui_tour.browser(chromium_or_skip()) as page:
                page.goto(url + PAGE, wait_until="load")
                coming = f"l'étape « {STEP} » de la génération du site est en cours"
                assert coming in page.inner_text("article")
                page.evaluate("window.notReloaded = true")  # gone when the page reloads
                page.wait_for_function(
                    f"!document.body.innerText.includes({json.dumps(coming)})", timeout=240_000
                )
                page.wait_for_load_state("load")
                assert page.evaluate("window.notReloaded === undefined")  # it reloaded itself
                shown = page.inner_text("article")
        finally:
            stop(server)
    printed = log.read_text(errors="replace")
    assert "Serving on" in printed
    assert f"] {STEP} : commencée" in printed and "Génération terminée" in printed
    assert "ERREUR" not in printed and "Traceback" not in printed
    real = (step_not_generated / "leaderboard.txt").read_text()
    assert " ".join(real.split()[:12]) in " ".join(shown.split())
