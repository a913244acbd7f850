"""The fairness engine against fairlearn's MetricFrame and a hand-computed fixture."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import precision_score

from explain.engines.fairness import fairness_report, group_table, rates

GERMAN = "data/german_credit/german_credit.csv"


@pytest.fixture(scope="module")
def german():
    frame = pd.read_csv(GERMAN)
    rng = np.random.default_rng(3)
    y_true = (frame["creditability"] == "bad").to_numpy().astype(int)
    score = 0.3 * y_true + rng.random(len(frame))  # a noisy, realistic classifier
    return {"y_true": y_true, "y_pred": (score > 0.6).astype(int),
            "sex": frame["personal_status_and_sex"].str.split(" : ").str[0].to_numpy(),
            "age": np.where(frame["age_in_years"] < 25, "<25", ">=25"),
            "foreign": frame["foreign_worker"].to_numpy()}


def test_hand_computed_two_groups():
    y_true = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    y_pred = np.array([1, 0, 1, 0, 1, 1, 1, 0])
    group = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    report = fairness_report(y_true, y_pred, {"g": group})
    a, b = report.groups
    assert (a["selection_rate"], a["tpr"], a["fpr"], a["ppv"]) == (0.5, 0.5, 0.5, 0.5)
    assert (b["selection_rate"], b["tpr"], b["fpr"]) == (0.75, 1.0, 2 / 3)
    assert report.summary["demographic_parity_difference"] == 0.25
    assert report.summary["most_favoured_group"] == {"g": "b"}
    assert a["four_fifths_flag"] and not b["four_fifths_flag"]  # 0.5 / 0.75 < 0.8


@pytest.mark.parametrize("attributes", [("sex",), ("age",), ("sex", "age", "foreign")])
def test_group_rates_match_fairlearn_metricframe(german, attributes):
    sensitive = pd.DataFrame({name: german[name] for name in attributes})
    frame = MetricFrame(
        metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                 "fpr": false_positive_rate,
                 "ppv": lambda t, p: precision_score(t, p, zero_division=np.nan)},
        y_true=german["y_true"], y_pred=german["y_pred"], sensitive_features=sensitive)
    report = fairness_report(german["y_true"], german["y_pred"],
                             {name: german[name] for name in attributes})
    for group in report.groups:
        key = tuple(group["group"][name] for name in attributes)
        expected = frame.by_group.loc[key if len(key) > 1 else key[0]]
        for metric in ("selection_rate", "tpr", "fpr", "ppv"):
            if np.isnan(group[metric]):
                # Undefined (no positives, negatives or predicted positives in the group):
                # fairlearn reports 0 there, Assay reports it as undefined on purpose.
                assert expected[metric] in (0.0, pytest.approx(np.nan, nan_ok=True))
                continue
            assert group[metric] == pytest.approx(expected[metric], abs=1e-9)


def _rows_of_fully_defined_groups(german, attributes):
    """fairlearn scores an undefined TPR/FPR as 0; compare where every rate is defined."""
    keys = pd.Series(list(zip(*(german[name] for name in attributes), strict=True)))
    frame = pd.DataFrame({"key": keys, "y": german["y_true"]})
    defined = frame.groupby("key")["y"].agg(lambda y: 0 < y.sum() < len(y))
    return keys.map(defined).to_numpy()


@pytest.mark.parametrize("attributes", [("sex",), ("sex", "age", "foreign")])
def test_disparities_match_fairlearn(german, attributes):
    keep = _rows_of_fully_defined_groups(german, attributes)
    data = {name: german[name][keep] for name in (*attributes, "y_true", "y_pred")}
    sensitive = pd.DataFrame({name: data[name] for name in attributes})
    args = (data["y_true"], data["y_pred"])
    summary = fairness_report(*args, {n: data[n] for n in attributes}).summary
    kwargs = {"sensitive_features": sensitive}
    assert summary["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(*args, **kwargs), abs=1e-9)
    assert summary["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(*args, **kwargs), abs=1e-9)
    assert summary["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(*args, **kwargs), abs=1e-9)
    assert summary["equalized_odds_ratio"] == pytest.approx(
        equalized_odds_ratio(*args, **kwargs), abs=1e-9)


def test_group_without_positives_does_not_inflate_equalized_odds(german):
    """German credit has no 'bad' outcome among 3 young non-foreign men: their TPR is
    undefined. fairlearn counts it as 0 and reports a larger disparity; Assay leaves
    that group out of the TPR comparison instead of inventing a number."""
    attributes = {n: german[n] for n in ("sex", "age", "foreign")}
    summary = fairness_report(german["y_true"], german["y_pred"], attributes).summary
    fairlearn_value = equalized_odds_difference(
        german["y_true"], german["y_pred"], sensitive_features=pd.DataFrame(attributes))
    assert summary["equalized_odds_difference"] < fairlearn_value


def test_empty_denominator_is_nan_not_zero():
    table = group_table(np.array([0, 0]), np.array([0, 1]), [np.array(["x", "x"])])
    assert np.isnan(rates(table.counts)["tpr"][0])


def test_bootstrap_interval_contains_estimate_and_is_reproducible(german):
    args = (german["y_true"], german["y_pred"], {"sex": german["sex"]})
    first = fairness_report(*args, n_boot=400, seed=11)
    again = fairness_report(*args, n_boot=400, seed=11)
    low, high = first.confidence_intervals["demographic_parity_difference"]
    assert low <= first.summary["demographic_parity_difference"] <= high
    assert first.confidence_intervals == again.confidence_intervals


def test_non_binary_labels_are_refused():
    with pytest.raises(ValueError, match="0/1"):
        group_table(np.array([0, 2]), np.array([0, 1]), [np.array(["a", "b"])])


def test_categorical_and_plain_columns_give_the_same_report(german):
    plain = {"sex": german["sex"], "age": german["age"]}
    categorical = {name: pd.Series(values, dtype="category") for name, values in plain.items()}
    first = fairness_report(german["y_true"], german["y_pred"], plain)
    second = fairness_report(german["y_true"], german["y_pred"], categorical)
    assert first.groups == second.groups and first.summary == second.summary


def test_missing_attribute_value_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        group_table(np.array([0, 1]), np.array([0, 1]), [np.array(["a", None], dtype=object)])


def test_group_auc_equals_sklearn_per_group():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 400)
    scores = np.clip(y * 0.3 + rng.random(400) * 0.7, 0, 1)
    sex = rng.choice(["f", "m"], 400)
    report = fairness_report(y, (scores > 0.5).astype(int), {"sex": sex}, scores=scores)
    for group in report.groups:
        rows = sex == group["group"]["sex"]
        assert group["auc"] == pytest.approx(roc_auc_score(y[rows], scores[rows]), abs=1e-12)


def test_group_auc_of_a_one_class_group_is_nan():
    report = fairness_report([0, 0, 1, 0], [0, 1, 1, 0], {"g": ["a", "a", "b", "b"]},
                             scores=[0.1, 0.6, 0.9, 0.2])
    assert np.isnan(report.groups[0]["auc"])


def test_age_is_binned_by_the_recipe_like_pandas_cut():
    from explain.engines.fairness import bin_attribute

    ages = np.array([19, 25, 26, 40, 75, 90])
    binned = bin_attribute(ages, [18, 26, 40, 120])
    expected = pd.cut(ages, [18, 26, 40, 120], right=False, labels=["18-26", "26-40", "40-120"])
    assert binned.tolist() == expected.astype(str).tolist()
