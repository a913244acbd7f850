import hashlib
import pickle

import pytest
from django.test import override_settings

from audit.models import AuditEvent
from registry.models import Blob, ModelVersion
from tests.conftest import FEATURES, api_as, register


def test_ci_registers_xgboost_json_with_lineage(ci_api, xgb_json):
    response = register(ci_api, "credit-pd", xgb_json, metadata={
        "git_commit": "a1b2c3d4e5", "ci_run_url": "https://ci.example/runs/9",
        "metrics": {"auc": 0.78}, "params": {"max_depth": 2}, "tags": ["champion"]})
    body = response.json()
    assert response.status_code == 201, body
    assert (body["number"], body["framework"], body["feature_names"]) == (1, "xgboost", FEATURES)
    assert body["artifact"]["sha256"] == hashlib.sha256(xgb_json).hexdigest()
    assert (body["git_commit"], body["metrics"], body["tags"]) == ("a1b2c3d4e5", {"auc": 0.78},
                                                                   ["champion"])


@pytest.mark.parametrize("fixture,fmt,framework", [
    ("xgb_ubj", "xgboost_ubj", "xgboost"), ("lgbm_text", "lightgbm_text", "lightgbm"),
    ("skops_bytes", "skops", "scikit-learn"), ("onnx_bytes", "onnx", "onnx")])
def test_every_safe_format_is_recognised(ci_api, request, fixture, fmt, framework):
    body = register(ci_api, "credit-pd", request.getfixturevalue(fixture), name="m.bin").json()
    assert (body["artifact_format"], body["framework"]) == (fmt, framework)


def test_feature_names_are_read_from_lightgbm_and_skops(ci_api, lgbm_text, skops_bytes):
    assert register(ci_api, "credit-pd", lgbm_text).json()["feature_names"] == FEATURES
    assert register(ci_api, "credit-pd", skops_bytes).json()["feature_names"] == FEATURES


def test_numbers_increase_per_model(ci_api, xgb_json, lgbm_text):
    numbers = [register(ci_api, "credit-pd", a).json()["number"] for a in (xgb_json, lgbm_text)]
    assert numbers == [1, 2]


def test_registration_is_audited_in_the_same_request(ci_api, xgb_json):
    response = register(ci_api, "credit-pd", xgb_json)
    event = AuditEvent.objects.get(action="version.registered")
    assert (event.actor_name, event.channel) == ("ci", "api")
    assert event.request_id == response["X-Request-ID"]


def test_same_idempotency_key_returns_existing_version(ci_api, xgb_json):
    first = register(ci_api, "credit-pd", xgb_json, HTTP_IDEMPOTENCY_KEY="run-42")
    again = register(ci_api, "credit-pd", xgb_json, HTTP_IDEMPOTENCY_KEY="run-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert ModelVersion.objects.count() == 1


def test_same_artifact_returns_existing_version(ci_api, xgb_json):
    register(ci_api, "credit-pd", xgb_json)
    again = register(ci_api, "credit-pd", xgb_json)
    assert (again.status_code, again.json()["number"]) == (200, 1)


def test_reused_idempotency_key_with_other_artifact_conflicts(ci_api, xgb_json, lgbm_text):
    register(ci_api, "credit-pd", xgb_json, HTTP_IDEMPOTENCY_KEY="run-42")
    response = register(ci_api, "credit-pd", lgbm_text, HTTP_IDEMPOTENCY_KEY="run-42")
    assert (response.status_code, response.json()["type"]) == (409,
                                                               "/api/problems/idempotency-conflict")


def _problem(response, status, slug):
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert (response.status_code, body["type"]) == (status, f"/api/problems/{slug}"), body
    return body


def test_pickle_is_refused_with_advice(ci_api):
    body = _problem(register(ci_api, "credit-pd", pickle.dumps({"w": [1, 2]}), name="m.bin"),
                    415, "pickle-refused")
    assert "skops" in body["detail"] and Blob.objects.count() == 0


def test_joblib_by_name_is_refused(ci_api):
    _problem(register(ci_api, "credit-pd", b"not really", name="model.joblib"), 415,
             "pickle-refused")


def test_compressed_joblib_is_refused(ci_api):
    import zlib

    _problem(register(ci_api, "credit-pd", zlib.compress(pickle.dumps([1])), name="m"), 415,
             "pickle-refused")


def test_content_not_matching_declared_format(ci_api, xgb_json):
    body = _problem(register(ci_api, "credit-pd", xgb_json,
                             metadata={"artifact_format": "onnx"}), 422,
                    "artifact-format-mismatch")
    assert "xgboost_json" in body["detail"]


def test_json_that_is_not_a_model(ci_api):
    _problem(register(ci_api, "credit-pd", b'{"hello": "world"}'), 422, "unreadable-artifact")


def test_garbage_is_unreadable(ci_api):
    _problem(register(ci_api, "credit-pd", b"\x00\x01garbage" * 10, name="m.bin"), 422,
             "unreadable-artifact")


def test_malformed_metadata_json(ci_api, xgb_json):
    body = _problem(register(ci_api, "credit-pd", xgb_json, metadata="{not json"), 400,
                    "malformed-request")
    assert "metadata" in body["detail"]


def test_invalid_metadata_field(ci_api, xgb_json):
    body = _problem(register(ci_api, "credit-pd", xgb_json, metadata={"metrics": {"auc": "hi"}}),
                    400, "validation-error")
    assert "metrics" in body["errors"]


def test_missing_artifact(ci_api):
    body = _problem(register(ci_api, "credit-pd", None), 400, "validation-error")
    assert "artifact" in body["errors"]


def test_unknown_model_is_404(ci_api, xgb_json):
    _problem(register(ci_api, "no-such-model", xgb_json), 404, "not-found")


@override_settings(ASSAY_MAX_ARTIFACT_BYTES=1000)
def test_oversized_artifact_is_413_and_nothing_is_stored(ci_api, xgb_json):
    _problem(register(ci_api, "credit-pd", xgb_json), 413, "payload-too-large")
    assert (Blob.objects.count(), ModelVersion.objects.count()) == (0, 0)


def test_sha256_mismatch_means_truncated_upload(ci_api, xgb_json):
    _problem(register(ci_api, "credit-pd", xgb_json, metadata={"artifact_sha256": "0" * 64}),
             422, "artifact-format-mismatch")


def test_unknown_training_dataset(ci_api, xgb_json):
    body = _problem(register(ci_api, "credit-pd", xgb_json, metadata={"training_dataset": 999}),
                    422, "unknown-reference")
    assert body["field"] == "training_dataset" and ModelVersion.objects.count() == 0


def test_developer_of_model_may_register(dan, credit_model, xgb_json):
    assert register(api_as(dan, "register"), "credit-pd", xgb_json).status_code == 201


def test_validator_may_not_register(victor, credit_model, xgb_json):
    _problem(register(api_as(victor, "register"), "credit-pd", xgb_json), 403,
             "permission-denied")


def test_ci_account_not_listed_on_model_is_denied(ci, credit_model, other_model, xgb_json):
    _problem(register(api_as(ci, "register"), "fraud", xgb_json), 403, "permission-denied")


def test_fast_version_document_equals_the_serializer(ci_api, dataset_csv, xgb_json):
    from registry.api.serializers import ModelVersionSerializer, version_document
    from tests.conftest import upload_dataset

    dataset_id = upload_dataset(ci_api, dataset_csv).json()["id"]
    register(ci_api, "credit-pd", xgb_json, metadata={
        "training_dataset": dataset_id, "tags": ["b", "a"], "metrics": {"auc": 0.7},
        "params": {"depth": 2}, "git_commit": "abcdef1", "description": "d"})
    version = ModelVersion.objects.get()
    assert version_document(version) == ModelVersionSerializer(version).data


def test_created_version_has_location_header(ci_api, xgb_json):
    response = register(ci_api, "credit-pd", xgb_json)
    assert response["Location"] == "/api/v1/models/credit-pd/versions/1/"


def _unnamed_xgboost(training_frame) -> bytes:
    import xgboost

    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(
        training_frame[FEATURES].to_numpy(), label=training_frame["default"]), 3)
    return bytes(booster.save_raw("json"))


def test_unnamed_xgboost_without_feature_names_is_refused(ci_api, training_frame):
    """Regression (issue 13, defect 9): trained on numpy, nothing names the features."""
    response = register(ci_api, "credit-pd", _unnamed_xgboost(training_frame))
    assert response.status_code == 422
    assert response.json()["type"].endswith("feature-names-missing")


def test_unnamed_xgboost_takes_the_registered_feature_names(ci_api, training_frame):
    response = register(ci_api, "credit-pd", _unnamed_xgboost(training_frame),
                        metadata={"feature_names": FEATURES})
    assert response.status_code == 201 and response.json()["feature_names"] == FEATURES


def _credit_frame():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(12)
    frame = pd.DataFrame({"duration": rng.integers(6, 72, 200).astype(float),
                          "amount": rng.normal(3000, 1000, 200),
                          "purpose": rng.choice(["car", "education", "radio/tv"], 200)})
    return frame, (frame["duration"] / 72 + rng.random(200) > 1).astype(int)


def test_skops_histgradientboosting_and_pipelines_are_trusted(ci_api):
    import skops.io
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

    frame, target = _credit_frame()
    numeric = frame[["duration", "amount"]]
    scorecard = make_pipeline(
        ColumnTransformer([("bins", KBinsDiscretizer(n_bins=4, encode="onehot"),
                            ["duration", "amount"]),
                           ("purpose", OneHotEncoder(handle_unknown="ignore"), ["purpose"])]),
        LogisticRegression())
    for model, data in ((HistGradientBoostingClassifier(max_iter=5), numeric),
                        (scorecard, frame)):
        response = register(ci_api, "credit-pd", skops.io.dumps(model.fit(data, target)))
        assert response.status_code == 201, response.json()
        assert response.json()["feature_names"] == list(data.columns)


def test_skops_types_outside_the_reviewed_list_are_refused_by_name(ci_api):
    import operator

    import skops.io
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame, target = _credit_frame()
    model = make_pipeline(FunctionTransformer(operator.neg), LogisticRegression()).fit(
        frame[["duration", "amount"]], target)
    response = register(ci_api, "credit-pd", skops.io.dumps(model))
    assert response.status_code == 422
    assert "_operator.neg" in response.json()["detail"]
