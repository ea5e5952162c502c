"""Le jeu de données Breast Cancer Wisconsin (Diagnostic) et son découpage."""

# --8<-- [start:imports]
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

# --8<-- [end:imports]

# --8<-- [start:load]
MALIGNANT = 0  # dans scikit-learn, 0 = tumeur maligne : notre classe positive
BENIGN = 1
TEST_SIZE = 0.25
RANDOM_STATE = 42


def load_data(test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """Charge les 569 tumeurs et les découpe en entraînement et test, classes équilibrées."""
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    return train_test_split(
        features,
        target,
        test_size=test_size,
        stratify=target,  # même proportion de tumeurs malignes dans les deux parties
        random_state=random_state,
    )


# --8<-- [end:load]
