import numpy as np
import pytest

from explain.engines.scoring import MissingFeatures, ModelLoadError, load_scoring_model
from tests.conftest import FEATURES


def test_xgboost_probability_equals_xgboost_predict(xgb_json, xgb_booster, training_frame):
    import xgboost

    scores = load_scoring_model(xgb_json, "xgboost_json", FEATURES).score(training_frame)
    expected = xgb_booster.predict(xgboost.DMatrix(training_frame[FEATURES]))
    np.testing.assert_allclose(scores.probability, expected, rtol=1e-6)
    np.testing.assert_allclose(scores.margin, np.log(expected / (1 - expected)), atol=1e-5)


def test_lightgbm_probability_equals_lightgbm_predict(lgbm_text, training_frame):
    import lightgbm

    booster = lightgbm.Booster(model_str=lgbm_text.decode())
    scores = load_scoring_model(lgbm_text, "lightgbm_text", FEATURES).score(training_frame)
    np.testing.assert_allclose(scores.probability, booster.predict(training_frame[FEATURES]))


def test_skops_scores_with_predict_proba_and_decision_function(skops_bytes, training_frame):
    import skops.io

    estimator = skops.io.loads(skops_bytes)
    scores = load_scoring_model(skops_bytes, "skops", FEATURES).score(training_frame)
    np.testing.assert_allclose(scores.probability,
                               estimator.predict_proba(training_frame[FEATURES])[:, 1])
    np.testing.assert_allclose(scores.margin,
                               estimator.decision_function(training_frame[FEATURES]))


def test_onnx_probability_is_the_graphs_sigmoid(onnx_bytes, training_frame):
    x = training_frame[FEATURES].to_numpy(np.float64)
    expected = 1 / (1 + np.exp(-(x @ np.array([0.1, 0.0002, -0.01]))))
    scores = load_scoring_model(onnx_bytes, "onnx", FEATURES).score(training_frame)
    np.testing.assert_allclose(scores.probability, expected, rtol=1e-5)


def test_missing_values_leave_a_linear_model_row_unscored(skops_bytes, training_frame):
    frame = training_frame.head(5).copy()
    frame.loc[frame.index[1], "amount"] = np.nan
    scores = load_scoring_model(skops_bytes, "skops", FEATURES).score(frame)
    assert scores.unscored_rows == 1
    assert np.isnan(scores.probability[1]) and not np.isnan(scores.probability[[0, 2]]).any()


def test_tree_models_score_missing_values(xgb_json, training_frame):
    frame = training_frame.head(5).copy()
    frame.loc[frame.index[1], "amount"] = np.nan
    scores = load_scoring_model(xgb_json, "xgboost_json", FEATURES).score(frame)
    assert scores.unscored_rows == 0 and not np.isnan(scores.probability).any()


def test_corrupt_artifact_is_a_load_error(xgb_json):
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        load_scoring_model(xgb_json[: len(xgb_json) // 2], "xgboost_json", FEATURES)


def test_missing_feature_is_named(xgb_json, training_frame):
    model = load_scoring_model(xgb_json, "xgboost_json", FEATURES)
    with pytest.raises(MissingFeatures, match="age"):
        model.score(training_frame.drop(columns=["age"]))


def test_a_ranking_objective_is_refused_by_name(training_frame):
    """Regression and multiclass are scored (tests/explain/test_model_kinds.py); other
    objectives are refused naming theirs."""
    import xgboost

    booster = xgboost.train({"objective": "rank:pairwise"},
                            xgboost.DMatrix(training_frame[FEATURES], training_frame["amount"]), 2)
    with pytest.raises(ModelLoadError, match="objective is rank:pairwise"):
        load_scoring_model(bytes(booster.save_raw("json")), "xgboost_json", FEATURES)


def test_xgboost_without_feature_names_scores_with_the_registered_names(training_frame):
    """Regression (issue 13, defect 9): the registered names were ignored (IndexError)."""
    import xgboost

    from explain.engines.explainers import explain

    matrix = training_frame[FEATURES].to_numpy()
    booster = xgboost.train({"max_depth": 2, "objective": "binary:logistic"},
                            xgboost.DMatrix(matrix, label=training_frame["default"]), 3)
    artifact = bytes(booster.save_raw("json"))
    model = load_scoring_model(artifact, "xgboost_json", FEATURES)
    shuffled = training_frame[["sex", *FEATURES[::-1]]]  # found by name, not position
    np.testing.assert_allclose(model.score(shuffled).probability,
                               booster.predict(xgboost.DMatrix(matrix)), rtol=1e-6)
    values = explain(model, shuffled, method="tree_path_dependent").values
    np.testing.assert_allclose(values.sum(axis=1), model.score(shuffled).margin, atol=1e-5)
    with pytest.raises(ModelLoadError, match="3 input features but 2"):
        load_scoring_model(artifact, "xgboost_json", FEATURES[:2])


def test_empty_input_is_refused_with_a_message(xgb_json, training_frame):
    model = load_scoring_model(xgb_json, "xgboost_json", FEATURES)
    with pytest.raises(ValueError, match="no rows to score"):
        model.score(training_frame.iloc[:0])


def test_skops_histgradientboosting_and_a_string_pipeline_score_like_predict_proba():
    import pandas as pd
    import skops.io
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from registry.artifacts import SKOPS_TRUSTED_TYPES

    rng = np.random.default_rng(13)
    frame = pd.DataFrame({"amount": rng.normal(size=300),
                          "purpose": rng.choice(["car", "education"], 300)})
    target = (frame["amount"] + rng.normal(size=300) > 0).astype(int)
    boosted = HistGradientBoostingClassifier(max_iter=5).fit(frame[["amount"]], target)
    pipeline = make_pipeline(ColumnTransformer([("p", OneHotEncoder(), ["purpose"])],
                                               remainder="passthrough"),
                             LogisticRegression()).fit(frame, target)
    for estimator, columns in ((boosted, ["amount"]), (pipeline, ["amount", "purpose"])):
        artifact = skops.io.dumps(estimator)
        model = load_scoring_model(artifact, "skops", columns, SKOPS_TRUSTED_TYPES)
        np.testing.assert_allclose(model.score(frame).probability,
                                   estimator.predict_proba(frame[columns])[:, 1])
    with pytest.raises(ModelLoadError, match="untrusted types: sklearn._loss"):
        load_scoring_model(skops.io.dumps(boosted), "skops", ["amount"])
