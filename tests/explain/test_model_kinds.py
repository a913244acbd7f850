"""Regression and multiclass models (issue 13, kinds of model): scoring equals the
framework's own predict, SHAP adds up to the model's output, performance runs end to
end and the pages render."""

import numpy as np
import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from sklearn.metrics import mean_absolute_error, r2_score, roc_auc_score

from explain.engines.explainers import explain
from explain.engines.scoring import load_scoring_model
from registry.services import VersionMetadata, register_version
from tests.explain.conftest import FEATURES, execute, make_dataset, run_of


@pytest.fixture(scope="module")
def lgd_frame(training_frame):
    rng = np.random.default_rng(31)
    frame = training_frame.copy()
    frame["lgd"] = np.clip(0.2 + frame["duration"] / 200 + rng.normal(0, 0.1, len(frame)),
                           0, 1)
    frame["grade"] = pd.cut(frame["amount"] + rng.normal(0, 300, len(frame)),
                            [-np.inf, 2500, 3200, np.inf], labels=False).astype(int)
    return frame


@pytest.fixture(scope="module")
def xgb_regression(lgd_frame):
    import xgboost

    booster = xgboost.train({"objective": "reg:squarederror", "max_depth": 3},
                            xgboost.DMatrix(lgd_frame[FEATURES], lgd_frame["lgd"]), 10)
    return booster, bytes(booster.save_raw("json"))


@pytest.fixture(scope="module")
def xgb_multiclass(lgd_frame):
    import xgboost

    booster = xgboost.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3},
                            xgboost.DMatrix(lgd_frame[FEATURES], lgd_frame["grade"]), 8)
    return booster, bytes(booster.save_raw("json"))


def test_xgboost_regression_scores_like_predict_and_shap_adds_up(xgb_regression, lgd_frame):
    import xgboost

    booster, artifact = xgb_regression
    model = load_scoring_model(artifact, "xgboost_json", FEATURES)
    expected = booster.predict(xgboost.DMatrix(lgd_frame[FEATURES]))
    scores = model.score(lgd_frame)
    assert model.objective == "regression"
    np.testing.assert_allclose(scores.prediction, expected, rtol=1e-6)
    exact = explain(model, lgd_frame, method="tree_path_dependent").values
    np.testing.assert_allclose(exact.sum(axis=1), scores.margin, atol=1e-5)
    sampled = explain(model, lgd_frame.iloc[:40], method="tree_interventional",
                      background=lgd_frame, background_size=50).values
    np.testing.assert_allclose(sampled.sum(axis=1), scores.margin[:40], atol=1e-5)


def test_lightgbm_regression_and_multiclass_score_like_predict(lgd_frame):
    import lightgbm

    for objective, target in (("regression", "lgd"), ("multiclass", "grade")):
        params = {"objective": objective, "verbose": -1, "num_leaves": 7}
        if objective == "multiclass":
            params["num_class"] = 3
        booster = lightgbm.train(params, lightgbm.Dataset(lgd_frame[FEATURES],
                                                          lgd_frame[target]), 10)
        model = load_scoring_model(booster.model_to_string().encode(), "lightgbm_text",
                                   FEATURES)
        scores = model.score(lgd_frame)
        expected = booster.predict(lgd_frame[FEATURES])
        assert model.objective == objective
        if objective == "regression":
            np.testing.assert_allclose(scores.prediction, expected, rtol=1e-9)
        else:
            assert model.classes == ["0", "1", "2"]
            np.testing.assert_allclose(scores.class_probabilities, expected, rtol=1e-9)


def test_xgboost_multiclass_probabilities_and_per_class_shap(xgb_multiclass, lgd_frame):
    import xgboost

    booster, artifact = xgb_multiclass
    model = load_scoring_model(artifact, "xgboost_json", FEATURES)
    matrix = xgboost.DMatrix(lgd_frame[FEATURES])
    scores = model.score(lgd_frame)
    np.testing.assert_allclose(scores.class_probabilities, booster.predict(matrix),
                               rtol=1e-5, atol=1e-7)
    assert (scores.decided_class == booster.predict(matrix).argmax(axis=1)).all()
    values = explain(model, lgd_frame, method="tree_path_dependent").values
    assert values.shape == (len(lgd_frame), len(FEATURES) + 1, 3)
    contributions = booster.predict(matrix, pred_contribs=True)  # [n, k, f + 1]
    np.testing.assert_allclose(values, contributions.transpose(0, 2, 1), atol=1e-5)
    np.testing.assert_allclose(values.sum(axis=1), scores.margin, atol=1e-5)


def test_skops_regressor_and_multiclass_classifier(lgd_frame):
    import skops.io
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression

    from registry.artifacts import SKOPS_TRUSTED_TYPES

    regressor = HistGradientBoostingRegressor(max_iter=10).fit(lgd_frame[FEATURES],
                                                               lgd_frame["lgd"])
    model = load_scoring_model(skops.io.dumps(regressor), "skops", FEATURES,
                               SKOPS_TRUSTED_TYPES)
    assert model.objective == "regression"
    np.testing.assert_allclose(model.score(lgd_frame).prediction,
                               regressor.predict(lgd_frame[FEATURES]))
    classifier = LogisticRegression(max_iter=500).fit(lgd_frame[FEATURES], lgd_frame["grade"])
    model = load_scoring_model(skops.io.dumps(classifier), "skops", FEATURES,
                               SKOPS_TRUSTED_TYPES)
    assert (model.objective, model.classes) == ("multiclass", ["0", "1", "2"])
    np.testing.assert_allclose(model.score(lgd_frame).class_probabilities,
                               classifier.predict_proba(lgd_frame[FEATURES]))


def _version(credit_model, ci, artifact, dataset):
    version, _ = register_version(
        actor=ci, model=credit_model, data=artifact, filename="model.json",
        metadata=VersionMetadata(validation_dataset=dataset.pk), idempotency_key=None,
        max_bytes=10**9)
    return version


def test_regression_performance_run_end_to_end(credit_model, ci, xgb_regression, lgd_frame,
                                               rita):
    import xgboost

    booster, artifact = xgb_regression
    dataset = make_dataset(lgd_frame.drop(columns=["default", "grade"]), ci, "lgd",
                           roles={"target": "lgd"})
    version = _version(credit_model, ci, artifact, dataset)
    run = execute(run_of(version, "performance"))
    assert run.status == "succeeded", run.error
    predicted = booster.predict(xgboost.DMatrix(lgd_frame[FEATURES]))
    metrics = run.summary["metrics"]
    assert metrics["mae"] == pytest.approx(mean_absolute_error(lgd_frame["lgd"], predicted),
                                           abs=1e-6)
    assert metrics["r2"] == pytest.approx(r2_score(lgd_frame["lgd"], predicted), abs=1e-6)
    scoring = execute(run_of(version, "scoring"))
    assert scoring.status == "succeeded" and scoring.summary["objective"] == "regression"
    client = Client()
    client.force_login(rita)
    for done in (run, scoring):
        page = client.get(reverse("evidence-run", args=[done.pk]))
        assert page.status_code == 200
    assert "Somers" in client.get(reverse("evidence-run", args=[run.pk])).content.decode()


def test_multiclass_performance_run_end_to_end(credit_model, ci, xgb_multiclass, lgd_frame,
                                               rita):
    import xgboost

    booster, artifact = xgb_multiclass
    dataset = make_dataset(lgd_frame.drop(columns=["default", "lgd"]), ci, "grades",
                           roles={"target": "grade"})
    version = _version(credit_model, ci, artifact, dataset)
    run = execute(run_of(version, "performance"))
    assert run.status == "succeeded", run.error
    probabilities = booster.predict(xgboost.DMatrix(lgd_frame[FEATURES]))
    assert run.summary["metrics"]["auc_macro_ovr"] == pytest.approx(
        roc_auc_score(lgd_frame["grade"], probabilities, multi_class="ovr"), abs=1e-6)
    client = Client()
    client.force_login(rita)
    page = client.get(reverse("evidence-run", args=[run.pk])).content.decode()
    assert "One-vs-rest AUC" in page
    fairness = execute(run_of(version, "fairness")) if version.evidence_runs.filter(
        kind="fairness").exists() else None
    if fairness is not None:
        assert fairness.status == "failed" and "multiclass" in fairness.error


def test_lightgbm_trained_on_pandas_categories_scores_string_columns():
    """LightGBM models trained on ``category`` columns score datasets whose columns are
    strings, with the trained encoding; an unseen category is reported and scored as
    missing, not silently coded."""
    import lightgbm

    rng = np.random.default_rng(33)
    train = pd.DataFrame({"amount": rng.normal(size=400),
                          "purpose": pd.Categorical(rng.choice(["car", "tv", "edu"], 400))})
    target = ((train["purpose"] == "car") ^ (rng.random(400) < 0.2)).astype(int)
    booster = lightgbm.LGBMClassifier(n_estimators=8, verbose=-1, min_child_samples=5).fit(
        train, target).booster_
    model = load_scoring_model(booster.model_to_string().encode(), "lightgbm_text",
                               ["amount", "purpose"])
    assert model.categories == {"purpose": ["car", "edu", "tv"]}
    dataset = pd.DataFrame({"amount": train["amount"],
                            "purpose": train["purpose"].astype(str).to_numpy(dtype=object)})
    dataset.loc[5, "purpose"] = "boat"
    scores = model.score(dataset)
    expected = booster.predict(train)
    seen = dataset.index != 5
    np.testing.assert_allclose(scores.probability[seen], expected[seen], rtol=1e-12)
    as_missing = train.copy()
    as_missing.loc[5, "purpose"] = np.nan
    assert scores.probability[5] == pytest.approx(booster.predict(as_missing)[5], rel=1e-12)
    assert model.unseen_categories(dataset) == {"purpose": {"boat": 1}}
    values = explain(model, dataset, method="tree_path_dependent").values
    np.testing.assert_allclose(values.sum(axis=1), scores.margin, atol=1e-9)
