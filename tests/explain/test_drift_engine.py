import numpy as np
import pytest
from scipy.stats import ks_2samp

from explain.engines.drift import DriftRecipe, band, drift_report, ks, psi


def test_psi_hand_computed():
    reference = np.array([1.0, 2, 3, 4])  # uniform bins: [1,2.5], (2.5,4] -> 2 / 2
    comparison = np.array([1.0, 1, 1, 4])  # -> 3 / 1
    result = psi(reference, comparison, DriftRecipe(binning="uniform", bins=2,
                                                    category_threshold=2))
    expected = (0.75 - 0.5) * np.log(0.75 / 0.5) + (0.25 - 0.5) * np.log(0.25 / 0.5)
    assert result["psi"] == pytest.approx(expected, abs=1e-12)
    assert result["comparison_counts"] == [3, 1]


def test_identical_samples_are_stable():
    values = np.random.default_rng(0).normal(size=5000)
    result = psi(values, values.copy(), DriftRecipe())
    assert result["psi"] == pytest.approx(0.0, abs=1e-12) and result["band"] == "stable"


def test_bands_follow_the_usual_thresholds():
    assert [band(0.05), band(0.1), band(0.3)] == ["stable", "moderate shift",
                                                 "significant shift"]


def test_ks_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=3000), rng.normal(0.2, 1.1, size=2000)
    assert ks(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)


def test_missing_out_of_range_and_schema_are_reported():
    reference = {"x": np.array([0.0, 1, 2, 3]), "gone": np.zeros(4)}
    comparison = {"x": np.array([np.nan, 1, 9, 3]), "new": np.zeros(4)}
    report = drift_report(reference, comparison, DriftRecipe(bins=2))
    assert report["features"]["x"]["missing_comparison"] == 1
    assert report["features"]["x"]["out_of_range"] == 1
    assert (report["only_in_reference"], report["only_in_comparison"]) == (["gone"], ["new"])
    assert report["recipe"] == {"binning": "quantile", "bins": 2, "epsilon": 1e-4,
                                "category_threshold": 10}


def test_bad_recipe_is_refused():
    with pytest.raises(ValueError):
        DriftRecipe(binning="kmeans")


def _hand_psi(reference_shares, comparison_shares, epsilon=1e-4):
    ref = np.maximum(np.asarray(reference_shares, dtype=float), epsilon)
    cmp_ = np.maximum(np.asarray(comparison_shares, dtype=float), epsilon)
    return float(np.sum((cmp_ - ref) * np.log(cmp_ / ref)))


def test_psi_on_a_binary_column_uses_one_bin_per_value():
    """Regression (issue 13, defect 1): quantile edges merged 0 and 1 into one bin, PSI 0."""
    report = drift_report({"x": np.repeat([0.0, 1], [950, 50])},
                          {"x": np.repeat([0.0, 1], [500, 500])})
    result = report["features"]["x"]
    assert result["binning"] == "category" and result["categories"] == [0.0, 1.0]
    assert result["psi"] == pytest.approx(_hand_psi([0.95, 0.05], [0.5, 0.5]), abs=1e-12)
    assert result["psi"] == pytest.approx(1.325, abs=1e-3)
    assert result["band"] == "significant shift"


def test_psi_on_a_string_column_counts_unseen_categories_in_their_own_bin():
    reference = np.array(["a"] * 60 + ["b"] * 40, dtype=object)
    comparison = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20, dtype=object)
    result = drift_report({"x": reference}, {"x": comparison})["features"]["x"]
    assert result["categories"] == ["a", "b"] and result["unseen"] == 20
    assert result["unseen_values"] == {"c": 20}
    assert result["comparison_counts"] == [50, 30, 20]
    assert result["psi"] == pytest.approx(_hand_psi([0.6, 0.4, 0], [0.5, 0.3, 0.2]),
                                          abs=1e-12)
    assert result["ks"] is None


def test_low_cardinality_threshold_comes_from_the_recipe():
    values = np.arange(12.0).repeat(10)
    assert psi(values, values, DriftRecipe())["binning"] == "quantile"
    assert psi(values, values, DriftRecipe(category_threshold=12))["binning"] == "category"


def test_numeric_bins_are_open_at_both_ends():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=1000)
    result = psi(reference, np.array([-50.0, 50.0, np.inf]), DriftRecipe())
    assert result["comparison_counts"][0] == 1 and result["comparison_counts"][-1] == 2
    assert result["out_of_range"] == 3


def test_shifted_constant_column_is_a_significant_shift():
    """Regression (issue 13, defect 2): constant 5 against constant 7 read as stable."""
    result = drift_report({"x": np.full(100, 5.0)}, {"x": np.full(80, 7.0)})["features"]["x"]
    assert result["psi"] == pytest.approx(_hand_psi([1, 0], [0, 1]), abs=1e-12)
    assert result["band"] == "significant shift"
    assert result["ks"] == 1.0 and result["out_of_range"] == 80


@pytest.mark.parametrize(("reference", "comparison", "status"), [
    (np.full(5, np.nan), np.arange(5.0), "all missing"),
    (np.array([]), np.arange(5.0), "no rows"),
    (np.arange(5.0), np.full(5, np.nan), "all missing"),
    (np.arange(5.0), np.array([]), "no rows"),
])
def test_drift_does_not_crash_on_empty_or_all_missing_columns(reference, comparison, status):
    """Regression (issue 13, defect 3): IndexError / ZeroDivisionError killed the report."""
    report = drift_report({"bad": reference, "good": np.arange(20.0)},
                          {"bad": comparison, "good": np.arange(20.0)})
    bad = report["features"]["bad"]
    assert (bad["status"], bad["psi"], bad["ks"], bad["band"]) == (status, None, None, None)
    assert report["features"]["good"]["psi"] == pytest.approx(0.0, abs=1e-12)


def test_drift_with_infinite_values_reports_them_and_keeps_finite_edges():
    rng = np.random.default_rng(4)
    reference = np.append(rng.normal(size=500), [np.inf, -np.inf])
    comparison = np.append(rng.normal(size=500), np.inf)
    result = drift_report({"x": reference}, {"x": comparison})["features"]["x"]
    assert result["status"] == "non-finite values: 3"
    assert all(np.isfinite(result["edges"]))
    assert np.isfinite(result["psi"])
    assert result["ks"] == pytest.approx(ks_2samp(reference, comparison).statistic, abs=1e-12)
