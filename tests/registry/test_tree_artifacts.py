"""Tree artifacts are loaded completely at registration, in a limited child process."""

import json

import pytest

from registry.models import ModelVersion
from registry.tree_probe import TreeArtifactRefused, probe_tree_artifact
from tests.conftest import FEATURES, register


def _refused(response) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert (response.status_code, body["type"]) == (422, "/api/problems/unreadable-artifact")
    assert ModelVersion.objects.count() == 0
    return body["detail"]


def test_truncated_lightgbm_text_is_refused_with_the_crash(ci_api, lgbm_text):
    """LightGBM aborts the process that parses it (an exception out of an OpenMP region);
    only the header used to be read, so the worker crashed later instead."""
    detail = _refused(register(ci_api, "credit-pd", lgbm_text[: len(lgbm_text) // 2],
                               name="model.txt"))
    assert "crashed its loader (SIGABRT)" in detail


def test_lightgbm_text_with_a_malformed_tree_is_refused(ci_api, lgbm_text):
    broken = lgbm_text.replace(b"\nnum_leaves=", b"\nnum_leafs=", 1)
    assert "LightGBM" in _refused(register(ci_api, "credit-pd", broken, name="model.txt"))


def test_xgboost_json_with_no_trees_is_refused(ci_api, training_frame):
    import xgboost

    empty = xgboost.train({"objective": "binary:logistic"},
                          xgboost.DMatrix(training_frame[FEATURES], training_frame["default"]),
                          num_boost_round=0)
    detail = _refused(register(ci_api, "credit-pd", bytes(empty.save_raw("json"))))
    assert detail == "The XGBoost model has no trees."


def test_xgboost_json_whose_trees_do_not_parse_is_refused(ci_api, xgb_json):
    document = json.loads(xgb_json)
    document["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"] = "x"
    assert "XGBoost model could not be loaded" in _refused(
        register(ci_api, "credit-pd", json.dumps(document).encode()))


def test_valid_tree_models_report_their_trees_and_features(xgb_ubj, lgbm_text):
    limits = {"memory_bytes": 2 << 30, "seconds": 60}
    assert probe_tree_artifact(xgb_ubj, "xgboost_ubj", **limits).trees == 5
    facts = probe_tree_artifact(lgbm_text, "lightgbm_text", **limits)
    assert (facts.trees, facts.feature_names) == (5, FEATURES)


def test_a_load_past_the_time_limit_is_refused(xgb_json):
    with pytest.raises(TreeArtifactRefused, match="took longer than 0 s"):
        probe_tree_artifact(xgb_json, "xgboost_json", memory_bytes=2 << 30, seconds=0)


def test_a_load_past_the_memory_limit_is_refused(training_frame):
    import xgboost

    booster = xgboost.train({"max_depth": 6}, xgboost.DMatrix(training_frame[FEATURES],
                                                              training_frame["default"]),
                            num_boost_round=200)
    data = bytes(booster.save_raw("json"))
    assert probe_tree_artifact(data, "xgboost_json", memory_bytes=2 << 30, seconds=60).trees
    with pytest.raises(TreeArtifactRefused):
        probe_tree_artifact(data, "xgboost_json", memory_bytes=256 * 1024, seconds=60)
