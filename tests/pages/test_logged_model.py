import json
import re
import sys

import mlflow
import pandas as pd
import pytest
from helpers import (
    ROOT,
    learner_command,
    reference_pipeline,
)

from snippets import logged_model
from tooling.sections import section
from tooling.servers.processes import free_port, started


def page_response():
    """The JSON answer that the « Le modèle MLflow » page shows for the curl request."""
    page = (ROOT / "docs" / "local" / "logged-model.md").read_text()
    [block] = re.findall(r"```json\n(.*?)\n```", page, re.S)
    return json.loads(block)


@pytest.mark.server  # a model server
def test_logged_model_loads_and_is_served_over_rest_as_the_page_shows(
    workdir, tracking_store, split, capsys
):
    logged_model.main()
    out = capsys.readouterr().out

    experiment = tracking_store.get_experiment_by_name("svm-cancer-du-sein")
    [model] = tracking_store.search_logged_models([experiment.experiment_id])
    serve_line = f'mlflow models serve -m "models:/{model.model_id}" --port 5001'
    assert f"{serve_line} --env-manager local" in out  # the command to copy, any shell
    assert "Le modèle rechargé prédit comme le pipeline d'origine." in out

    # The request the page writes: five test tumours, 30 named columns, « dataframe_split ».
    request = json.loads((workdir / "requete.json").read_text())
    rows = pd.DataFrame(**request["dataframe_split"])
    X_test = split[1]
    assert list(rows.columns) == list(X_test.columns)
    assert rows.to_numpy().tolist() == X_test.head(5).to_numpy().tolist()
    expected = reference_pipeline(split, 1.0, "scale").predict(X_test.head(5)).tolist()
    loaded = mlflow.pyfunc.load_model(f"models:/{model.model_id}")
    assert loaded.predict(rows).tolist() == expected

    # The page's blocks, run for real (on a free port): mlflow models serve, then the Python
    # script requete.py and the curl line.
    port = free_port()
    serve = section("logged_model.sh:serve").replace("5001", str(port))
    serve = serve.replace("<model_id>", model.model_id)
    script = section("logged_model.py:query").replace("5001", str(port))
    (workdir / "requete.py").write_text(script)
    with started(serve, f"http://127.0.0.1:{port}/ping", workdir, timeout=90):
        by_python = learner_command([sys.executable, "requete.py"], workdir)
        by_curl = learner_command(
            ["bash", "-c", section("logged_model.sh:query").replace("5001", str(port))],
            workdir,
        )
    assert json.loads(by_curl) == {"predictions": expected}
    assert by_python.strip() == str({"predictions": expected})
    assert page_response() == {"predictions": expected}
    assert f"`{by_python.strip()}`" in (ROOT / "docs" / "local" / "logged-model.md").read_text()
