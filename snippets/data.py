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
    """Charge les 569 tumeurs, puis les découpe en entraînement et test."""
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    return train_test_split(
        features,
        target,
        test_size=test_size,
        stratify=target,  # même proportion de tumeurs malignes dans les deux parties
        random_state=random_state,
    )


# --8<-- [end:load]


def main():
    # --8<-- [start:explore]
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    print(f"{features.shape[0]} tumeurs, {features.shape[1]} variables numériques")
    print("Tumeurs malignes :", int((target == MALIGNANT).sum()))
    print("Tumeurs bénignes :", int((target == BENIGN).sum()))
    print(features[["mean radius", "mean texture", "worst area"]].describe().round(2))
    # --8<-- [end:explore]

    # --8<-- [start:split]
    X_train, X_test, y_train, y_test = load_data()
    print(f"Entraînement : {len(X_train)} tumeurs, test : {len(X_test)} tumeurs")
    print(f"Tumeurs malignes : {(y_train == MALIGNANT).mean():.1%} (entraînement),")
    print(f"                  {(y_test == MALIGNANT).mean():.1%} (test)")
    # --8<-- [end:split]


if __name__ == "__main__":
    main()
