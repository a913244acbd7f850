import numpy as np
import pytest

from explain.engines.explainers import explain
from explain.engines.scoring import load_scoring_model
from tests.conftest import FEATURES


@pytest.fixture(scope="module")
def frame(training_frame):
    return training_frame[FEATURES].astype(np.float64)


def test_interventional_equals_shap_and_sums_to_probability(xgb_json, xgb_booster, frame):
    import shap

    model = load_scoring_model(xgb_json, "xgboost_json", FEATURES)
    result = explain(model, frame, method="tree_interventional", background=frame,
                     background_size=50, seed=3)
    background = frame.sample(n=50, random_state=3)
    reference = shap.TreeExplainer(xgb_booster, data=background, model_output="probability",
                                   feature_perturbation="interventional").shap_values(frame)
    np.testing.assert_allclose(result.values[:, :-1], reference, atol=1e-9)
    np.testing.assert_allclose(result.values.sum(axis=1), model.score(frame).probability,
                               atol=1e-6)


def test_path_dependent_on_lightgbm_sums_to_margin(lgbm_text, frame):
    model = load_scoring_model(lgbm_text, "lightgbm_text", FEATURES)
    result = explain(model, frame, method="tree_path_dependent")
    assert result.output == "margin"
    np.testing.assert_allclose(result.values.sum(axis=1), model.score(frame).margin, atol=1e-6)


def test_permutation_equals_shap_with_the_same_seed(skops_bytes, frame):
    import shap
    import skops.io

    estimator = skops.io.loads(skops_bytes)
    model = load_scoring_model(skops_bytes, "skops", FEATURES)
    result = explain(model, frame, method="permutation", background_size=40, max_rows=20,
                     max_evals=64, seed=5)
    rows = frame.iloc[result.rows]
    background = frame.sample(n=40, random_state=5).to_numpy()
    reference = shap.PermutationExplainer(
        lambda x: estimator.predict_proba(x)[:, 1], shap.maskers.Independent(background, 40),
        seed=5)(rows.to_numpy(), max_evals=64, silent=True)
    np.testing.assert_allclose(result.values[:, :-1], reference.values, atol=1e-9)
    np.testing.assert_allclose(result.values.sum(axis=1), model.score(rows).probability,
                               atol=1e-9)


def test_kernel_is_capped_and_additive(onnx_bytes, frame):
    model = load_scoring_model(onnx_bytes, "onnx", FEATURES)
    result = explain(model, frame, method="kernel", background_size=20, max_rows=10,
                     max_evals=100, seed=1)
    assert result.values.shape == (10, len(FEATURES) + 1)
    np.testing.assert_allclose(result.values.sum(axis=1),
                               model.score(frame.iloc[result.rows]).probability, atol=1e-5)


def test_model_agnostic_skips_rows_with_missing_values(skops_bytes, frame):
    holes = frame.head(8).copy()
    holes.iloc[2, 0] = np.nan
    model = load_scoring_model(skops_bytes, "skops", FEATURES)
    result = explain(model, holes, method="permutation", background=frame, max_evals=16)
    assert result.skipped_missing == 1 and 2 not in result.rows.tolist()


def test_tree_method_on_a_linear_model_is_refused(skops_bytes, frame):
    model = load_scoring_model(skops_bytes, "skops", FEATURES)
    with pytest.raises(ValueError, match="permutation"):
        explain(model, frame, method="tree_path_dependent")


def test_global_importance_is_mean_absolute_shap(xgb_json, frame):
    result = explain(load_scoring_model(xgb_json, "xgboost_json", FEATURES), frame,
                     method="tree_path_dependent")
    importance = result.global_importance()
    expected = np.abs(result.values[:, :-1]).mean(axis=0)
    assert list(importance.values()) == sorted(expected.tolist(), reverse=True)


@pytest.fixture(scope="module")
def lightgbm_with_categories(frame):
    import lightgbm

    rng = np.random.default_rng(8)
    data = frame.assign(purpose=rng.integers(0, 6, len(frame)).astype(float))
    label = ((data["purpose"].isin([1, 4])) ^ (rng.random(len(data)) < 0.2)).astype(int)
    booster = lightgbm.train({"objective": "binary", "verbose": -1, "min_data_per_group": 5,
                              "cat_smooth": 1, "min_data_in_leaf": 5},
                             lightgbm.Dataset(data, label, categorical_feature=["purpose"]), 10)
    return booster.model_to_string().encode(), data


def test_interventional_shap_is_refused_for_categorical_splits(lightgbm_with_categories):
    """Regression (issue 13, defect 8): shap compared category sets as thresholds."""
    artifact, data = lightgbm_with_categories
    model = load_scoring_model(artifact, "lightgbm_text", list(data.columns))
    with pytest.raises(ValueError, match="categorical splits"):
        explain(model, data, method="tree_interventional", background=data)
    exact = explain(model, data, method="tree_path_dependent").values  # still allowed
    np.testing.assert_allclose(exact.sum(axis=1), model.score(data).margin, atol=1e-6)


def test_interventional_values_that_do_not_add_up_fail_the_run():
    from explain.engines.explainers import check_additivity

    values = np.array([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]])
    check_additivity(values, np.array([0.6, 0.6 + 5e-7]), "interventional SHAP")
    with pytest.raises(ValueError, match="1 of 2 rows"):
        check_additivity(values, np.array([0.6, 0.7]), "interventional SHAP")
