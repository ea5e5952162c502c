"""The « Tracking UI » page's commands, started for real: the server shows the runs of the
mlflow.db of the folder it is started from, or of the store given by --backend-store-uri."""

import contextlib
import json
import urllib.request

import pytest

from snippets import first_run
from tooling.sections import section
from tooling.servers.processes import free_port, started


def api(port, path, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/2.0/mlflow/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def folder_with_a_run(workdir, tracking_store):
    first_run.main()
    experiment = tracking_store.get_experiment_by_name(first_run.EXPERIMENT_NAME)
    [run] = tracking_store.search_runs([experiment.experiment_id])
    return workdir, run


@pytest.mark.slow  # two tracking servers
def test_mlflow_ui_started_from_the_folder_shows_its_runs(folder_with_a_run, tmp_path_factory):
    folder, run = folder_with_a_run
    ui_port, elsewhere_port = free_port(), free_port()
    # One worker each instead of four: the two servers start much sooner on two cores.
    ui = section("tracking_ui.sh:ui").replace("5000", f"{ui_port} --workers 1")
    # The same store from another folder, given by its absolute path (four slashes).
    backend = section("tracking_ui.sh:backend")
    backend = backend.replace("/home/vous/cours-mlflow/mlflow.db", str(folder / "mlflow.db"))
    assert str(folder) in backend
    backend = backend.replace("5000", f"{elsewhere_port} --workers 1")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    with contextlib.ExitStack() as servers:
        for command, port, cwd in [(ui, ui_port, folder), (backend, elsewhere_port, elsewhere)]:
            servers.enter_context(started(command, f"http://127.0.0.1:{port}/health", cwd))
        for port in [ui_port, elsewhere_port]:
            name = first_run.EXPERIMENT_NAME
            experiment = api(port, f"experiments/get-by-name?experiment_name={name}")
            experiment_id = experiment["experiment"]["experiment_id"]
            found = api(port, "runs/search", {"experiment_ids": [experiment_id]})
            [shown] = found["runs"]
            assert shown["info"]["run_id"] == run.info.run_id
            assert shown["info"]["status"] == "FINISHED"
