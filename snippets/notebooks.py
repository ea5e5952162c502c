"""Les cellules propres aux deux notebooks du cours (les autres viennent des pages) :
afficher une figure et, sur Databricks, redémarrer Python et choisir l'expérience."""


def show_figure(figure):
    # --8<-- [start:show]
    figure  # en dernière ligne d'une cellule, la figure s'affiche
    # --8<-- [end:show]


def show_confusion_matrix(model, X_test, y_test):
    from snippets.metrics import plot_confusion_matrix

    # --8<-- [start:confusion_matrix]
    figure = plot_confusion_matrix(y_test, model.predict(X_test))
    figure  # en dernière ligne d'une cellule, la figure s'affiche
    # --8<-- [end:confusion_matrix]


def restart_python():
    # --8<-- [start:restart]
    # Sur Databricks : redémarre Python pour charger les versions installées par %pip.
    if "dbutils" in globals():
        dbutils.library.restartPython()
    # --8<-- [end:restart]


def notebook_experiment_path():
    # --8<-- [start:widget]
    import os

    # Sur Databricks, le widget en haut du notebook donne le chemin de l'expérience ;
    # ailleurs, la variable MLFLOW_EXPERIMENT_NAME, sinon le chemin partagé.
    if "dbutils" in globals():
        dbutils.widgets.text(
            "experiment_path", "/Shared/svm-cancer-du-sein", "Expérience"
        )
        experiment_path = dbutils.widgets.get("experiment_path")
    else:
        default = "/Shared/svm-cancer-du-sein"
        experiment_path = os.environ.get("MLFLOW_EXPERIMENT_NAME", default)
    # --8<-- [end:widget]
    return experiment_path
