"""Untrusted requests get a 4xx problem+json, never a 500 or an unbounded answer:
body size, nesting, string length, NaN, NUL, page size, huge numbers, wrong media type,
unknown API URLs."""

import json

import pytest

from registry.models import RegisteredModel
from tests.conftest import api_as, register, upload_dataset

PROBLEM = "application/problem+json"


def _model_body(**extra):
    return {"slug": "scorecard", "name": "Scorecard", "purpose": "PD", "risk_tier": 2,
            "tier_rationale": "retail"} | extra


def _post_raw(client, path, raw: str | bytes):
    return client.generic("POST", path, raw, content_type="application/json")


@pytest.fixture
def manager(olivia):
    return api_as(olivia, "manage", "read")


def test_a_json_body_within_limits_is_accepted(manager):
    assert manager.post("/api/v1/models/", _model_body(), format="json").status_code == 201


def test_a_json_body_over_the_size_limit_is_413(manager, settings):
    settings.ASSAY_MAX_JSON_BYTES = 10_000
    response = manager.post("/api/v1/models/", _model_body(purpose="x" * 20_000), format="json")
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "/api/problems/payload-too-large"
    assert not RegisteredModel.objects.exists()


def test_deeply_nested_json_is_400_not_a_recursion_error(manager):
    response = _post_raw(manager, "/api/v1/models/", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM


def test_nesting_beyond_32_levels_is_refused_and_32_is_accepted(manager, ci_api, credit_model,
                                                                 xgb_json):
    deep = json.dumps({"params": {"a": json.loads("[" * 30 + "]" * 30)}})  # 32 levels
    too_deep = json.dumps({"params": {"a": json.loads("[" * 40 + "]" * 40)}})
    assert register(ci_api, "credit-pd", xgb_json, metadata=too_deep).status_code == 400
    assert register(ci_api, "credit-pd", xgb_json, metadata=deep).status_code == 201


def test_a_string_longer_than_the_text_limit_is_400(manager):
    response = manager.post("/api/v1/models/", _model_body(purpose="x" * 20_001), format="json")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert manager.post("/api/v1/models/", _model_body(purpose="x" * 20_000),
                        format="json").status_code == 201


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_json_body_are_400(manager, constant):
    raw = json.dumps(_model_body())[:-1] + f', "extra": {constant}}}'
    assert _post_raw(manager, "/api/v1/models/", raw).status_code == 400


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity"])
def test_nan_and_infinity_as_metrics_are_400(ci_api, credit_model, xgb_json, value):
    response = register(ci_api, "credit-pd", xgb_json, metadata={"metrics": {"auc": value}})
    assert response.status_code == 400 and "metrics" in response.json()["errors"]
    assert register(ci_api, "credit-pd", xgb_json,
                    metadata={"metrics": {"auc": "0.75"}}).status_code == 201


def test_nan_in_registration_params_is_400(ci_api, credit_model, xgb_json):
    response = register(ci_api, "credit-pd", xgb_json, metadata='{"params": {"eta": NaN}}')
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM


def test_nul_characters_in_json_strings_are_400(manager):
    response = manager.post("/api/v1/models/", _model_body(purpose="P\x00D"), format="json")
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    response = manager.post("/api/v1/models/", _model_body() | {"k\x00": 1}, format="json")
    assert response.status_code == 400


def test_nested_dataset_roles_are_400(ci_api, dataset_csv):
    response = upload_dataset(ci_api, dataset_csv, roles=json.loads("[" * 50 + "]" * 50))
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM


def test_page_size_is_capped(ci, credit_model, other_model, settings):
    settings.ASSAY_API_MAX_PAGE_SIZE = 1
    response = api_as(ci, "read").get("/api/v1/models/", {"limit": 1000})
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    assert response.json()["next"] is not None


@pytest.mark.parametrize("params", [{"limit": 10**30}, {"offset": 10**30},
                                    {"limit": 2**64, "offset": 2**63}, {"tier": 10**30}])
def test_huge_numbers_in_the_query_are_not_a_500(ci, credit_model, params):
    response = api_as(ci, "read").get("/api/v1/models/", params)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/datasets/99999999999999999999999/",
                                  "/api/v1/models/credit-pd/versions/99999999999999999999/",
                                  "/api/v1/evidence-runs/123456789012345678901234/"])
def test_huge_ids_in_the_path_are_404_problems(ci, credit_model, path):
    response = api_as(ci, "read").get(path)
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


def test_unknown_api_url_is_a_404_problem(ci):
    response = api_as(ci, "read").get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "/api/problems/not-found"


def test_unknown_page_url_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_json_body_on_the_multipart_registration_is_415(ci_api, credit_model):
    response = ci_api.post("/api/v1/models/credit-pd/versions/",
                           {"artifact": "not a file", "metadata": {}}, format="json")
    assert response.status_code == 415 and response["Content-Type"] == PROBLEM


def test_a_json_body_on_the_dataset_upload_is_415(ci_api):
    response = ci_api.post("/api/v1/datasets/", {"file": "x", "name": "d", "roles": {}},
                           format="json")
    assert response.status_code == 415


def test_an_over_long_idempotency_key_is_400(ci_api, credit_model, xgb_json):
    response = register(ci_api, "credit-pd", xgb_json, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert register(ci_api, "credit-pd", xgb_json,
                    HTTP_IDEMPOTENCY_KEY="k" * 200).status_code == 201


@pytest.mark.parametrize("params", [{"q": "a\x00b"}, {"owner": "\x00"}, {"x\x00": "1"}])
def test_nul_characters_in_query_parameters_are_400(ci, credit_model, params):
    response = api_as(ci, "read").get("/api/v1/models/", params)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert api_as(ci, "read").get("/api/v1/models/", {"q": "credit"}).status_code == 200


def test_nul_characters_in_a_page_query_are_400(rita, credit_model, client):
    client.force_login(rita)
    assert client.get("/", {"q": "a\x00"}).status_code == 400
    assert client.get("/", {"q": "credit"}).status_code == 200
