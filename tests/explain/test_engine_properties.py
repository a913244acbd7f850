"""Property-based tests (hypothesis) of the drift, fairness and performance engines over
random data with the edges a validator looks at first: empty and all-missing columns,
constants, ties, infinities, one-class and tiny groups. Every engine function either
returns a number equal to its reference (scipy, scikit-learn, fairlearn, a hand formula)
or raises a ValueError that says why; no IndexError, ZeroDivisionError or NaN escapes."""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from explain.engines.drift import DriftRecipe, drift_report
from explain.engines.fairness import fairness_report
from explain.engines.performance import performance_report

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Values with many ties, a few extremes, missing values and infinities.
VALUE = st.one_of(st.integers(-3, 3).map(float), st.floats(-1e6, 1e6, allow_nan=False),
                  st.just(math.nan), st.just(math.inf), st.just(-math.inf))
COLUMN = st.lists(VALUE, max_size=60).map(lambda v: np.array(v, dtype=np.float64))
CONSTANT = st.tuples(st.floats(-100, 100, allow_nan=False), st.integers(0, 30)).map(
    lambda c: np.full(c[1], c[0]))
ANY_COLUMN = st.one_of(COLUMN, CONSTANT, st.integers(0, 20).map(lambda n: np.full(n, np.nan)))


@SETTINGS
@given(reference=ANY_COLUMN, comparison=ANY_COLUMN, bins=st.integers(2, 12),
       binning=st.sampled_from(["quantile", "uniform"]))
def test_drift_never_raises_and_psi_is_finite_or_explained(reference, comparison, bins,
                                                           binning):
    report = drift_report({"x": reference}, {"x": comparison},
                          DriftRecipe(binning=binning, bins=bins))
    result = report["features"]["x"]
    if result["psi"] is None:
        assert result["status"] in ("no rows", "all missing") and result["ks"] is None
        return
    assert math.isfinite(result["psi"]) and result["psi"] >= -1e-12
    assert sum(result["reference_counts"]) == int((~np.isnan(reference)).sum())
    assert sum(result["comparison_counts"]) == int((~np.isnan(comparison)).sum())
    ref, cmp_ = reference[~np.isnan(reference)], comparison[~np.isnan(comparison)]
    assert result["ks"] == pytest.approx(ks_2samp(ref, cmp_).statistic, abs=1e-12)


@SETTINGS
@given(column=st.one_of(COLUMN, CONSTANT))
def test_a_column_against_itself_is_stable(column):
    result = drift_report({"x": column}, {"x": column.copy()})["features"]["x"]
    if result["psi"] is not None:
        assert result["psi"] == pytest.approx(0.0, abs=1e-12) and result["ks"] == 0.0


@SETTINGS
@given(reference=st.lists(st.sampled_from([0.0, 1.0, 2.0, 7.0]), min_size=1, max_size=80),
       comparison=st.lists(st.sampled_from([0.0, 1.0, 2.0, 7.0, 9.0]), min_size=1,
                           max_size=80))
def test_low_cardinality_psi_equals_the_per_category_formula(reference, comparison):
    """One bin per reference value and one for every value the reference never had,
    computed independently with pandas' value_counts."""
    result = drift_report({"x": np.array(reference)}, {"x": np.array(comparison)})
    ref_share = pd.Series(reference).value_counts(normalize=True)
    pooled = [v if v in set(reference) else "unseen" for v in comparison]
    cmp_share = pd.Series(pooled).value_counts(normalize=True)
    values = sorted(set(reference)) + ["unseen"]
    ref = np.maximum([ref_share.get(v, 0.0) for v in values], 1e-4)
    cmp_ = np.maximum([cmp_share.get(v, 0.0) for v in values], 1e-4)
    expected = float(np.sum((cmp_ - ref) * np.log(cmp_ / ref)))
    assert result["features"]["x"]["psi"] == pytest.approx(expected, abs=1e-9)


@SETTINGS
@given(reference=st.lists(st.sampled_from(["a", "b", "c", None]), max_size=40),
       comparison=st.lists(st.sampled_from(["a", "b", "d", None]), max_size=40))
def test_string_columns_never_raise(reference, comparison):
    result = drift_report({"x": np.array(reference, dtype=object)},
                          {"x": np.array(comparison, dtype=object)})["features"]["x"]
    assert result["psi"] is None or math.isfinite(result["psi"])
    assert result["ks"] is None


GROUPED = st.integers(1, 80).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)))


@SETTINGS
@given(data=GROUPED)
def test_fairness_with_zero_convention_equals_fairlearn(data):
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    y_true, y_pred, group = (np.array(d) for d in data)
    report = fairness_report(y_true, y_pred, {"g": group}, undefined_rates="zero")
    frame = MetricFrame(metrics={"tpr": true_positive_rate, "fpr": false_positive_rate,
                                 "selection_rate": selection_rate},
                        y_true=y_true, y_pred=y_pred,
                        sensitive_features=pd.Series(group, name="g"))
    for row in report.groups:
        expected = frame.by_group.loc[row["group"]["g"]]
        for metric in ("tpr", "fpr", "selection_rate"):
            assert row[metric] == pytest.approx(expected[metric], abs=1e-9)


@SETTINGS
@given(data=GROUPED, min_reference_size=st.integers(1, 40))
def test_four_fifths_flags_equal_exact_fractions(data, min_reference_size):
    y_true, y_pred, group = (np.array(d) for d in data)
    report = fairness_report(y_true, y_pred, {"g": group},
                             min_reference_size=min_reference_size)
    rates = {g: Fraction(int(y_pred[group == g].sum()), int((group == g).sum()))
             for g in np.unique(group)}
    eligible = [g for g in rates if (group == g).sum() >= min_reference_size]
    for row in report.groups:
        name = row["group"]["g"]
        if not eligible or max(rates[g] for g in eligible) == 0:
            assert not row["four_fifths_flag"]
            assert row["selection_rate_ratio_to_reference"] is None
            continue
        ratio = rates[name] / max(rates[g] for g in eligible)
        assert row["four_fifths_flag"] == (ratio < Fraction(4, 5))
        assert row["selection_rate_ratio_to_reference"] == float(ratio)
        assert row["p_value"] is None or 0 <= row["p_value"] <= 1
        assert row["adverse_impact"] == (row["four_fifths_flag"] and row["significant"])


@SETTINGS
@given(data=GROUPED)
def test_fairness_summary_numbers_are_finite_or_none(data):
    y_true, y_pred, group = (np.array(d) for d in data)
    summary = fairness_report(y_true, y_pred, {"g": group}).summary
    for name in ("demographic_parity_difference", "demographic_parity_ratio"):
        assert math.isfinite(summary[name]) or math.isnan(summary[name])


def test_fairness_on_no_rows_is_refused():
    with pytest.raises(ValueError, match="no rows"):
        fairness_report(np.array([], int), np.array([], int), {"g": np.array([], object)})


@SETTINGS
@given(data=st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]) | st.floats(0, 1), min_size=n,
             max_size=n))))
def test_performance_equals_sklearn_or_refuses_one_class(data):
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y, p = (np.array(d, dtype=float) for d in data)
    if len(np.unique(y)) < 2:
        with pytest.raises(ValueError, match="both classes"):
            performance_report(y, p)
        return
    metrics = performance_report(y, p)["metrics"]
    assert metrics["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)


@SETTINGS
@given(bad=st.sampled_from([math.nan, math.inf, -math.inf, 1.0001, -1e-9]),
       at=st.integers(0, 3))
def test_performance_refuses_unusable_probabilities(bad, at):
    p = np.array([0.1, 0.9, 0.4, 0.6])
    p[at] = bad
    with pytest.raises(ValueError, match=f"rows {at}$"):
        performance_report(np.array([0, 1, 0, 1]), p)
