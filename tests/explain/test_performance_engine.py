import re

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from explain.engines.performance import performance_report


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(4)
    y = (rng.random(2000) < 0.3).astype(int)
    p = np.clip(0.3 + 0.25 * (y - 0.3) + rng.normal(0, 0.2, 2000), 0, 1).round(2)  # ties
    return y, p


def test_metrics_match_scikit_learn_and_scipy(scores):
    y, p = scores
    metrics = performance_report(y, p)["metrics"]
    assert metrics["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics["gini"] == pytest.approx(2 * roc_auc_score(y, p) - 1, abs=1e-12)
    assert metrics["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert metrics["log_loss"] == pytest.approx(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15)),
                                                abs=1e-12)
    assert metrics["ks"] == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)


def test_hand_computed_confusion_and_calibration():
    y = np.array([0, 0, 1, 1])
    report = performance_report(y, np.array([0.1, 0.6, 0.4, 0.9]), threshold=0.5)
    assert report["confusion"] == {"threshold": 0.5, "true_negative": 1, "false_positive": 1,
                                   "false_negative": 1, "true_positive": 1}
    assert report["metrics"]["auc"] == 0.75  # 3 of 4 positive/negative pairs ordered
    assert sum(row["count"] for row in report["calibration"]) == 4


def test_bootstrap_interval_brackets_the_estimate(scores):
    y, p = scores
    report = performance_report(y, p, n_boot=200, seed=3)
    low, high = report["intervals"]["auc"]
    assert low < report["metrics"]["auc"] < high
    assert report["intervals"] == performance_report(y, p, n_boot=200, seed=3)["intervals"]


def test_all_one_class_target_is_a_clear_error():
    with pytest.raises(ValueError, match="only one"):
        performance_report(np.ones(10), np.linspace(0, 1, 10))


def test_missing_scores_are_refused():
    with pytest.raises(ValueError, match="missing"):
        performance_report(np.array([0, 1]), np.array([0.2, np.nan]))


def test_roc_points_lie_on_sklearns_curve():
    from sklearn.metrics import roc_curve

    from explain.engines.performance import roc_points

    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    p = np.round(rng.random(500), 2)  # ties
    fpr, tpr, _ = roc_curve(y, p, drop_intermediate=False)
    points = roc_points(y, p, max_points=1_000)
    assert np.allclose(points["fpr"], fpr) and np.allclose(points["tpr"], tpr)


@pytest.mark.parametrize(("bad", "kind"), [(np.inf, "1 infinite"), (np.nan, "1 missing"),
                                           (1.5, "1 outside [0, 1]"),
                                           (-0.1, "1 outside [0, 1]")])
def test_probabilities_outside_zero_one_are_refused_naming_the_rows(bad, kind):
    """Regression (issue 13, defect 7): inf gave Brier = inf, 1.5 gave a number."""
    y = np.array([0, 1, 0, 1])
    p = np.array([0.2, 0.7, bad, 0.9])
    with pytest.raises(ValueError, match=rf"1 of 4 probabilities .*{re.escape(kind)}.*rows 2$"):
        performance_report(y, p)
