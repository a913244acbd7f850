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
    report = fairness_report(y_true, y_pred, {"g": group}, min_reference_size=1)
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


def _selected(rows: int, chosen: int) -> np.ndarray:
    return np.repeat([1, 0], [chosen, rows - chosen])


def test_four_fifths_is_not_flagged_at_exactly_four_fifths():
    """Regression (issue 13, defect 4): (30/50) / (60/80) is 0.7999999999999999 in floats."""
    y_pred = np.concatenate([_selected(50, 30), _selected(80, 60)])
    group = np.repeat(["a", "b"], [50, 80])
    report = fairness_report(np.zeros(130, int), y_pred, {"g": group})
    a = report.groups[0]
    assert (30 / 50) / (60 / 80) < 0.8  # the float comparison the engine must not make
    assert a["ratio_fraction"] == [2400, 3000] and not a["four_fifths_flag"]
    assert a["selection_rate_ratio_to_reference"] == 0.8
    assert report.summary["four_fifths"]["lowest_ratio_fraction"] == [2400, 3000]


def test_four_fifths_flags_one_selection_below_four_fifths():
    y_pred = np.concatenate([_selected(100, 55), _selected(100, 70)])
    report = fairness_report(np.zeros(200, int), y_pred, {"g": np.repeat(["a", "b"], 100)})
    assert report.groups[0]["four_fifths_flag"]


def test_undefined_rates_zero_equals_fairlearn_on_one_class_groups():
    """Regression (issue 13, defect 5): with ``zero`` Assay uses fairlearn's convention."""
    rng = np.random.default_rng(5)
    n = 600
    group = rng.choice(["a", "b", "c", "d"], n)
    y_true = rng.integers(0, 2, n)
    y_true[group == "c"] = 0  # no positives: TPR undefined
    y_true[group == "d"] = 1  # no negatives: FPR undefined
    y_pred = rng.integers(0, 2, n)
    report = fairness_report(y_true, y_pred, {"g": group}, undefined_rates="zero")
    frame = MetricFrame(metrics={"tpr": true_positive_rate, "fpr": false_positive_rate,
                                 "selection_rate": selection_rate,
                                 "ppv": lambda t, p: precision_score(t, p, zero_division=0)},
                        y_true=y_true, y_pred=y_pred, sensitive_features=group)
    for row in report.groups:
        expected = frame.by_group.loc[row["group"]["g"]]
        for metric in ("tpr", "fpr", "selection_rate", "ppv"):
            assert row[metric] == pytest.approx(expected[metric], abs=1e-9)
    kwargs = {"sensitive_features": group}
    assert report.summary["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y_true, y_pred, **kwargs), abs=1e-9)
    assert report.summary["equalized_odds_ratio"] == pytest.approx(
        equalized_odds_ratio(y_true, y_pred, **kwargs), abs=1e-9)
    assert report.summary["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(y_true, y_pred, **kwargs), abs=1e-9)
    assert report.summary["undefined_rates"] == "zero"
    c = next(g for g in report.groups if g["group"] == {"g": "c"})
    assert c["undefined"] == {"tpr": "no positives in group"}


def test_group_without_positives_under_both_conventions_hand_computed():
    """Group b has no positives: ``exclude`` leaves its TPR out (equalized odds = FPR gap
    1/2 - 1/3), ``zero`` scores it 0 like fairlearn (TPR gap 1/2)."""
    y_true = [1, 1, 0, 0, 0, 0, 0]
    y_pred = [1, 0, 0, 1, 0, 1, 0]
    group = ["a"] * 4 + ["b"] * 3
    exclude = fairness_report(y_true, y_pred, {"g": group}).summary
    zero = fairness_report(y_true, y_pred, {"g": group}, undefined_rates="zero").summary
    assert exclude["equalized_odds_difference"] == pytest.approx(1 / 2 - 1 / 3, abs=1e-12)
    assert zero["equalized_odds_difference"] == pytest.approx(0.5, abs=1e-12)
    assert zero["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y_true, y_pred, sensitive_features=group), abs=1e-12)


def test_small_most_favoured_group_is_not_the_four_fifths_reference():
    """Regression (issue 13, defect 6): majority groups were flagged against a group of 6."""
    y_pred = np.concatenate([_selected(6, 6), _selected(208, 150), _selected(84, 60)])
    group = np.repeat(["tiny", "big", "mid"], [6, 208, 84])
    report = fairness_report(np.zeros(298, int), y_pred, {"g": group})
    by_name = {g["group"]["g"]: g for g in report.groups}
    assert report.summary["four_fifths"]["reference_group"] == {"g": "big"}
    assert not by_name["tiny"]["eligible_as_reference"]
    assert not by_name["big"]["four_fifths_flag"] and not by_name["mid"]["four_fifths_flag"]
    assert report.summary["most_favoured_group"] == {"g": "tiny"}  # still shown


def test_fisher_exact_test_on_small_cells_matches_the_tea_tasting_fixture():
    from explain.engines.fairness import selection_test

    result = selection_test(3, 4, 1, 4)  # [[3, 1], [1, 3]]: two-sided p = 34/70
    assert result["test"] == "Fisher's exact test"
    assert result["p_value"] == pytest.approx(34 / 70, abs=1e-12)


def test_two_proportion_z_test_matches_hand_computation():
    from scipy.stats import norm

    from explain.engines.fairness import selection_test

    result = selection_test(120, 400, 180, 400)
    pooled = 300 / 800
    z = (0.3 - 0.45) / np.sqrt(pooled * (1 - pooled) * (2 / 400))
    assert result["test"] == "two-proportion z-test"
    assert result["statistic"] == pytest.approx(z, abs=1e-12)
    assert result["p_value"] == pytest.approx(2 * norm.cdf(-abs(z)), abs=1e-15)


def test_adverse_impact_needs_both_the_ratio_and_the_test():
    # 30 rows each: ratio 0.5 / 0.7 < 0.8 but Fisher's test is not significant.
    y_pred = np.concatenate([_selected(30, 15), _selected(30, 21)])
    report = fairness_report(np.zeros(60, int), y_pred, {"g": np.repeat(["a", "b"], 30)})
    a = report.groups[0]
    assert a["four_fifths_flag"] and a["p_value"] > 0.05 and not a["adverse_impact"]
    y_pred = np.concatenate([_selected(1000, 500), _selected(1000, 700)])
    report = fairness_report(np.zeros(2000, int), y_pred,
                             {"g": np.repeat(["a", "b"], 1000)})
    a = report.groups[0]
    assert a["four_fifths_flag"] and a["p_value"] < 1e-9 and a["adverse_impact"]
    assert report.summary["four_fifths"]["adverse_impact_groups"] == [{"g": "a"}]
