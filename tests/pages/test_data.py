from sklearn.datasets import load_breast_cancer

from snippets import data


def test_malignant_is_label_zero_in_scikit_learn():
    names = load_breast_cancer().target_names
    assert names[data.MALIGNANT] == "malignant"
    assert names[data.BENIGN] == "benign"


def test_load_data_is_the_stratified_split_the_pages_describe(split):
    X_train, X_test, y_train, y_test = data.load_data()
    assert (len(X_train), len(X_test)) == (426, 143)
    assert X_train.shape[1] == 30
    assert X_train.index.equals(split[0].index)
    assert X_test.index.equals(split[1].index)
    malignant_share = 212 / 569
    assert abs((y_train == data.MALIGNANT).mean() - malignant_share) < 0.01
    assert abs((y_test == data.MALIGNANT).mean() - malignant_share) < 0.01


def test_main_prints_the_counts_of_the_page(capsys):
    data.main()
    out = capsys.readouterr().out
    assert "569 tumeurs, 30 variables numériques" in out
    assert "Tumeurs malignes : 212" in out
    assert "Tumeurs bénignes : 357" in out
    assert "Entraînement : 426 tumeurs, test : 143 tumeurs" in out
