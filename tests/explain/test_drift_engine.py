import numpy as np
import pytest
from scipy.stats import ks_2samp

from explain.engines.drift import DriftRecipe, band, drift_report, ks, psi


def test_psi_hand_computed():
    reference = np.array([1.0, 2, 3, 4])  # uniform bins: [1,2.5], (2.5,4] -> 2 / 2
    comparison = np.array([1.0, 1, 1, 4])  # -> 3 / 1
    result = psi(reference, comparison, DriftRecipe(binning="uniform", bins=2))
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
    assert report["recipe"] == {"binning": "quantile", "bins": 2, "epsilon": 1e-4}


def test_bad_recipe_is_refused():
    with pytest.raises(ValueError):
        DriftRecipe(binning="kmeans")
