"""The evidence-run endpoints over HTTP, allowed and denied per role and scope."""

import pytest

from explain.models import EvidenceRun
from tests.conftest import api_as
from tests.explain.conftest import execute, run_of


def _start(client, version, **body):
    return client.post(f"/api/v1/versions/{version.pk}/evidence-runs/",
                       {"kind": "performance", **body}, format="json")


def test_ci_starts_a_run_and_gets_202_with_location(version, ci):
    response = _start(api_as(ci, "register", "read"), version, recipe={"bootstrap": 10})
    assert response.status_code == 202
    assert response["Location"] == f"/api/v1/evidence-runs/{response.json()['id']}/"


def test_identical_request_answers_200_with_the_same_run(version, ci):
    response = _start(api_as(ci, "register", "read"), version)
    assert response.status_code == 200 and response.json()["id"] == run_of(version,
                                                                            "performance").pk


def test_validator_of_the_model_may_start_a_run(version, victor):
    assert _start(api_as(victor, "register"), version, recipe={"seed": 1}).status_code == 202


def test_read_only_token_may_not_start_a_run(version, ci):
    assert _start(api_as(ci, "read"), version).status_code == 403


def test_auditor_may_read_but_not_start(version, ada):
    client = api_as(ada, "read", "register")
    assert client.get(f"/api/v1/versions/{version.pk}/evidence-runs/").status_code == 200
    assert _start(client, version).status_code == 403


def test_user_without_role_may_not_read_runs(version, nobody):
    run = run_of(version, "scoring")
    assert api_as(nobody, "read").get(f"/api/v1/evidence-runs/{run.pk}/").status_code == 403


def test_anonymous_gets_401(version, client):
    assert client.get(f"/api/v1/versions/{version.pk}/evidence-runs/").status_code == 401


def test_unknown_version_is_404_problem(ci, credit_model):
    response = api_as(ci, "register").post("/api/v1/versions/999/evidence-runs/",
                                           {"kind": "shap"}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_kind_is_a_validation_problem(version, ci):
    response = _start(api_as(ci, "register"), version, kind="astrology")
    assert response.status_code == 400 and "kind" in response.json()["errors"]


def test_bad_recipe_is_a_400_naming_the_parameter(version, ci):
    response = _start(api_as(ci, "register"), version, recipe={"bootstrap": -1})
    assert response.status_code == 400
    assert response.json()["type"] == "/api/problems/invalid-recipe"
    assert response.json()["field"] == "bootstrap"


def test_malformed_json_is_a_400_problem(version, ci):
    response = api_as(ci, "register").post(f"/api/v1/versions/{version.pk}/evidence-runs/",
                                           "{kind:", content_type="application/json")
    assert response.status_code == 400 and response.json()["type"].endswith("malformed-request")


def test_unknown_dataset_is_a_422(version, ci):
    response = _start(api_as(ci, "register"), version, dataset=12345)
    assert response.status_code == 422 and response.json()["field"] == "dataset"


def test_poll_shows_status_and_summary_when_done(version, ci):
    run = execute(run_of(version, "performance"))
    body = api_as(ci, "read").get(f"/api/v1/evidence-runs/{run.pk}/").json()
    assert body["status"] == "succeeded" and body["summary"]["metrics"]["auc"] > 0.5


def test_failed_run_shows_the_message_in_the_api(version, ci):
    from registry.blobs import blob_storage

    with blob_storage().open(version.artifact.storage_name, "wb") as handle:
        handle.write(b"garbage")
    run = execute(run_of(version, "scoring"))
    body = api_as(ci, "read").get(f"/api/v1/evidence-runs/{run.pk}/").json()
    assert body["status"] == "failed" and "no longer matches" in body["error"]


def test_rows_download_is_parquet_with_digest(version, ci):
    run = execute(run_of(version, "scoring"))
    response = api_as(ci, "read").get(f"/api/v1/evidence-runs/{run.pk}/rows/")
    assert response.content[:4] == b"PAR1"
    assert response["Digest"] == f"sha-256={run.result_blob.sha256}"


def test_cancel_over_the_api(version, ci):
    run = run_of(version, "scoring")
    response = api_as(ci, "register", "read").post(f"/api/v1/evidence-runs/{run.pk}/cancel/",
                                                   {"reason": "superseded"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_cancel_of_a_finished_run_is_409(version, ci):
    run = execute(run_of(version, "scoring"))
    response = api_as(ci, "register", "read").post(f"/api/v1/evidence-runs/{run.pk}/cancel/")
    assert response.status_code == 409


@pytest.mark.parametrize("slug", ["invalid-recipe", "run-not-cancellable"])
def test_evidence_problem_types_are_documented(client, slug):
    assert client.get(f"/api/problems/{slug}").json()["remedy"]


def test_list_is_paginated_without_summaries(version, ci):
    body = api_as(ci, "read").get(f"/api/v1/versions/{version.pk}/evidence-runs/").json()
    assert body["count"] == EvidenceRun.objects.count() and "summary" not in body["results"][0]


def test_owner_sets_reason_texts_and_new_runs_use_them(version, olivia, validation, rita):
    from explain.services import request_run

    response = api_as(olivia, "manage", "read").put(
        "/api/v1/models/credit-pd/reason-texts/",
        {"texts": {"amount": "Requested amount is high"}, "excluded": ["age"]}, format="json")
    assert response.status_code == 200 and response.json()["excluded"] == ["age"]
    run, _ = request_run(actor=rita, version=version, kind="reason_codes", dataset=validation)
    assert run.recipe["reason_texts"] == {"amount": "Requested amount is high"}
    assert "age" in run.recipe["excluded"]


def test_developer_may_not_change_reason_texts(credit_model, dan):
    response = api_as(dan, "manage", "read").put("/api/v1/models/credit-pd/reason-texts/",
                                                 {"texts": {}}, format="json")
    assert response.status_code == 403


def test_reason_text_change_is_audited(credit_model, rita):
    from audit.models import AuditEvent

    api_as(rita, "manage").put("/api/v1/models/credit-pd/reason-texts/",
                               {"texts": {"amount": "High amount"}, "reason": "policy 4.2"},
                               format="json")
    assert AuditEvent.objects.get(action="model.reason_texts_set").reason == "policy 4.2"
