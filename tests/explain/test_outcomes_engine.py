"""Regression and multiclass performance against scikit-learn and scipy."""

import numpy as np
import pytest
from scipy.stats import somersd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from explain.engines.outcomes import (
    decile_calibration,
    multiclass_report,
    regression_report,
    somers_d,
)


@pytest.fixture(scope="module")
def lgd():
    rng = np.random.default_rng(21)
    observed = np.clip(rng.beta(2, 5, 800), 0, 1).round(2)  # LGD-like, with ties
    predicted = np.clip(observed + rng.normal(0, 0.15, 800), 0, 1).round(3)
    return observed, predicted


def test_regression_metrics_match_scikit_learn_and_scipy(lgd):
    observed, predicted = lgd
    metrics = regression_report(observed, predicted)["metrics"]
    assert metrics["rmse"] == pytest.approx(root_mean_squared_error(observed, predicted),
                                            abs=1e-12)
    assert metrics["mae"] == pytest.approx(mean_absolute_error(observed, predicted), abs=1e-12)
    assert metrics["r2"] == pytest.approx(r2_score(observed, predicted), abs=1e-12)
    assert metrics["somers_d"] == pytest.approx(somersd(predicted, observed).statistic,
                                                abs=1e-12)


def test_somers_d_hand_computed():
    # Pairs of (predicted, observed): (1,1) (2,3) (3,2) (3,4): untied on prediction 5 pairs,
    # concordant 4 ((1,2),(1,3),(1,4),(2,4)), discordant 1 ((2,3)): D = 3 / 5.
    assert somers_d(np.array([1.0, 2, 3, 3]), np.array([1.0, 3, 2, 4])) == pytest.approx(0.6)


def test_decile_calibration_means_and_bootstrap_intervals(lgd):
    observed, predicted = lgd
    table = decile_calibration(observed, predicted, n_boot=200, seed=1)
    order = np.argsort(predicted, kind="stable")
    first = order[:80]
    assert [row["count"] for row in table] == [80] * 10
    assert table[0]["mean_predicted"] == pytest.approx(predicted[first].mean(), abs=1e-12)
    assert table[0]["mean_observed"] == pytest.approx(observed[first].mean(), abs=1e-12)
    for row in table:
        low, high = row["observed_interval"]
        assert low <= row["mean_observed"] <= high
    assert table == decile_calibration(observed, predicted, n_boot=200, seed=1)


def test_regression_refuses_missing_or_infinite_values_naming_rows():
    with pytest.raises(ValueError, match="1 of 3 prediction values .* rows 1$"):
        regression_report([0.1, 0.2, 0.3], [0.1, np.inf, 0.3])


@pytest.fixture(scope="module")
def grades():
    rng = np.random.default_rng(22)
    logits = rng.normal(size=(900, 4))
    truth = np.array(["A", "B", "C", "D"])[np.argmax(logits + rng.normal(0, 1, (900, 4)),
                                                     axis=1)]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return truth, probabilities


def test_multiclass_metrics_match_scikit_learn(grades):
    truth, probabilities = grades
    report = multiclass_report(truth, probabilities, ["A", "B", "C", "D"])
    assert report["metrics"]["auc_macro_ovr"] == pytest.approx(
        roc_auc_score(truth, probabilities, multi_class="ovr", labels=["A", "B", "C", "D"]),
        abs=1e-12)
    assert report["metrics"]["log_loss"] == pytest.approx(
        log_loss(truth, probabilities, labels=["A", "B", "C", "D"]), abs=1e-12)
    decided = np.array(["A", "B", "C", "D"])[probabilities.argmax(axis=1)]
    assert report["metrics"]["accuracy"] == pytest.approx(accuracy_score(truth, decided))
    assert report["confusion"]["rows_true_columns_decided"] == confusion_matrix(
        truth, decided, labels=["A", "B", "C", "D"]).tolist()
    for index, row in enumerate(report["per_class"]):
        assert row["auc_one_vs_rest"] == pytest.approx(
            roc_auc_score(truth == row["class"], probabilities[:, index]), abs=1e-12)


def test_multiclass_refuses_rows_that_are_not_distributions_and_unknown_classes(grades):
    truth, probabilities = grades
    broken = probabilities.copy()
    broken[5] = [0.5, 0.5, 0.5, -0.5]
    with pytest.raises(ValueError, match="1 of 900 rows .* rows 5$"):
        multiclass_report(truth, broken, ["A", "B", "C", "D"])
    with pytest.raises(ValueError, match="not classes of the model"):
        multiclass_report(np.where(truth == "A", "Z", truth), probabilities,
                          ["A", "B", "C", "D"])
