"""Ce que le cours attend, recalculé ici sans le code des pages : les sept métriques
d'une matrice de confusion, le découpage du cours et ses modèles réentraînés.
"""

import numpy as np

SEVEN = [
    "accuracy",
    "sensitivity",
    "specificity",
    "precision",
    "npv",
    "fall_out",
    "fdr",
]
TOLERANCE = 1e-6
MALIGNANT = 0  # la classe positive du cours


def seven(tp, fp, fn, tn):
    def ratio(a, b):
        return a / b if b else 0.0

    return {
        "accuracy": ratio(tp + tn, tp + fp + fn + tn),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "precision": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "fall_out": ratio(fp, fp + tn),
        "fdr": ratio(fp, fp + tp),
    }


def counts(y_true, y_pred):
    """(tp, fp, fn, tn), la tumeur maligne (0) comme classe positive."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    positive, predicted = y_true == MALIGNANT, y_pred == MALIGNANT
    return (
        int((positive & predicted).sum()),
        int((~positive & predicted).sum()),
        int((positive & ~predicted).sum()),
        int((~positive & ~predicted).sum()),
    )


def close(a, b):
    return a is not None and b is not None and abs(float(a) - float(b)) <= TOLERANCE


def parse_number(text, default):
    if text is None:
        return default
    if text in ("scale", "auto"):
        return text
    return float(text)


class Course:
    """Le découpage du cours et les modèles réentraînés, chacun une seule fois."""

    def __init__(self):
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import train_test_split

        features, target = load_breast_cancer(return_X_y=True, as_frame=True)
        self.split = train_test_split(
            features, target, test_size=0.25, stratify=target, random_state=42
        )
        self._models = {}

    def svm(self, C=1.0, gamma="scale", kernel="rbf"):
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        key = ("svm", C, gamma, kernel)
        if key not in self._models:
            X_train, _, y_train, _ = self.split
            model = make_pipeline(
                StandardScaler(), SVC(C=C, gamma=gamma, kernel=kernel)
            )
            self._models[key] = model.fit(X_train, y_train)
        return self._models[key]

    def family(self, name):
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if name not in self._models:
            estimator = {
                "regression-logistique": LogisticRegression(max_iter=1000),
                "plus-proches-voisins": KNeighborsClassifier(),
            }[name]
            X_train, _, y_train, _ = self.split
            model = make_pipeline(StandardScaler(), estimator)
            self._models[name] = model.fit(X_train, y_train)
        return self._models[name]

    def test_counts(self, model):
        _, X_test, _, y_test = self.split
        return counts(y_test, model.predict(X_test))

    def cv_balanced_accuracy(self, C, gamma):
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        X_train, _, y_train, _ = self.split
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
        model = make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))
        scores = cross_val_score(
            model, X_train, y_train, cv=folds, scoring="balanced_accuracy"
        )
        return scores.mean()


def run_params(run):
    """C, gamma et kernel d'un run, tels que le SVM les attend."""
    params = run.data.params
    return {
        "C": parse_number(params.get("C"), 1.0),
        "gamma": parse_number(params.get("gamma"), "scale"),
        "kernel": params.get("kernel", "rbf"),
    }
