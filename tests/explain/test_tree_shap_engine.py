import numpy as np
import pytest

from explain.engines.tree_models import load_booster, margin, shap_values
from tests.conftest import FEATURES


@pytest.fixture(scope="module")
def rows(training_frame):
    return training_frame[FEATURES].iloc[:100].astype(float)


@pytest.mark.parametrize("fixture,fmt", [("xgb_json", "xgboost_json"), ("xgb_ubj", "xgboost_ubj"),
                                         ("lgbm_text", "lightgbm_text")])
def test_rows_sum_to_the_margin(request, rows, fixture, fmt):
    booster = load_booster(request.getfixturevalue(fixture), fmt)
    values = shap_values(booster, rows)
    assert values.shape == (100, len(FEATURES) + 1)
    np.testing.assert_allclose(values.sum(axis=1), margin(booster, rows), atol=1e-5)


def test_xgboost_matches_its_own_pred_contribs(xgb_json, rows):
    import xgboost

    booster = load_booster(xgb_json, "xgboost_json")
    reference = booster.predict(xgboost.DMatrix(rows), pred_contribs=True)
    np.testing.assert_allclose(shap_values(booster, rows), reference, atol=1e-5)


def test_missing_feature_is_named(xgb_json, rows):
    booster = load_booster(xgb_json, "xgboost_json")
    with pytest.raises(ValueError, match="amount"):
        shap_values(booster, rows.drop(columns=["amount"]))


def test_non_tree_format_is_refused(onnx_bytes):
    with pytest.raises(ValueError, match="not a tree-ensemble"):
        load_booster(onnx_bytes, "onnx")
