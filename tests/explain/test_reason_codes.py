import numpy as np
import pandas as pd
import pytest

from explain.engines.reason_codes import ReasonRecipe, reason_codes

FEATURES = pd.DataFrame({"duration": [48.0, 12.0, 36.0], "amount": [9000.0, 800.0, np.nan],
                         "sex": [1.0, 0.0, 1.0], "age": [22.0, 50.0, 30.0]})
# Hand-made SHAP values (last column the bias): row 0 and row 2 are declined.
VALUES = np.array([[0.9, 0.4, 0.7, -0.2, -1.0],
                   [-0.5, -0.1, 0.2, -0.3, -1.0],
                   [0.1, 0.6, 0.3, 0.2, -1.0]])
SCORE = np.array([0.7, 0.2, 0.55])
TEXTS = {"duration": "Loan term too long", "amount": "Credit amount too high"}


def test_top_reasons_exclude_protected_and_are_ordered():
    recipe = ReasonRecipe(max_reasons=2, excluded=("sex",), reason_texts=TEXTS)
    first = reason_codes(VALUES, FEATURES, SCORE, recipe)["applicants"][0]
    assert [r["reason"] for r in first["reasons"]] == ["Loan term too long",
                                                         "Credit amount too high"]


def test_only_declined_applicants_get_reasons():
    result = reason_codes(VALUES, FEATURES, SCORE, ReasonRecipe(reason_texts=TEXTS))
    assert result["declined"] == 2 and [a["row"] for a in result["applicants"]] == [0, 2]


def test_features_pushing_toward_approval_are_never_reasons():
    result = reason_codes(VALUES, FEATURES, SCORE, ReasonRecipe(excluded=("sex",)))
    assert "age" not in [r["feature"] for r in result["applicants"][0]["reasons"]]


def test_unmapped_feature_is_reported_not_dropped():
    result = reason_codes(VALUES, FEATURES, SCORE, ReasonRecipe(reason_texts=TEXTS))
    assert result["unmapped_features"] == ["age", "sex"]


def test_missing_value_is_reported_with_the_reason():
    result = reason_codes(VALUES, FEATURES, SCORE, ReasonRecipe(reason_texts=TEXTS))
    amount = result["applicants"][1]["reasons"][0]
    assert amount["feature"] == "amount" and amount["value_missing"] and amount["value"] is None


def test_score_below_threshold_declines_for_a_good_score_model():
    recipe = ReasonRecipe(decline_when="score_below", threshold=0.5)
    result = reason_codes(VALUES, FEATURES, SCORE, recipe)
    only = result["applicants"]
    assert [a["row"] for a in only] == [1]
    assert [r["feature"] for r in only[0]["reasons"]] == ["duration", "age", "amount"]


def test_misaligned_values_are_refused():
    with pytest.raises(ValueError, match="line up"):
        reason_codes(VALUES[:, :3], FEATURES, SCORE, ReasonRecipe())
