"""The one owner of the course's tracking URI (snippets.tracking): the option, then MLflow's
environment variable, then the store the « Premier run » page names."""

import pytest


def test_the_course_store_is_the_one_the_first_run_page_names():
    from snippets import first_run, tracking

    assert tracking.COURSE_TRACKING_URI == first_run.TRACKING_URI == "sqlite:///mlflow.db"
    assert tracking.COURSE_EXPERIMENT == first_run.EXPERIMENT_NAME == "svm-cancer-du-sein"


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        ("http://a:5000", {"MLFLOW_TRACKING_URI": "http://b:5000"}, "http://a:5000"),
        (None, {"MLFLOW_TRACKING_URI": "http://b:5000"}, "http://b:5000"),
        (None, {"MLFLOW_TRACKING_URI": ""}, "sqlite:///mlflow.db"),  # empty counts as unset
        ("", {}, "sqlite:///mlflow.db"),
    ],
)
def test_the_uri_is_the_option_then_the_variable_then_the_course_default(option, environ, expected):
    from snippets.tracking import resolve_experiment, resolve_tracking_uri

    uri, source = resolve_tracking_uri(option, environ)
    assert uri == expected
    assert (
        source
        == {
            "http://a:5000": "option --tracking-uri",
            "http://b:5000": "variable d'environnement MLFLOW_TRACKING_URI",
            "sqlite:///mlflow.db": "défaut du cours : mlflow.db du dossier courant",
        }[expected]
    )
    variable = {"MLFLOW_EXPERIMENT_NAME": "svm-alice"}
    assert resolve_experiment("svm-bob", variable) == "svm-bob"
    assert resolve_experiment(None, variable) == "svm-alice"
    assert resolve_experiment(None, {"MLFLOW_EXPERIMENT_NAME": ""}) == "svm-cancer-du-sein"
