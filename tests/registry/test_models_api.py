import pytest

from audit.models import AuditEvent
from registry.models import RegisteredModel
from tests.conftest import api_as

NEW_MODEL = {"slug": "churn", "name": "Churn", "purpose": "Retention offers", "risk_tier": 3,
             "tier_rationale": "marketing only", "regulatory_scope": ["gdpr_art_22"]}


def test_developer_creates_model_and_is_owner(olivia):
    response = api_as(olivia, "manage").post("/api/v1/models/", NEW_MODEL, format="json")
    assert response.status_code == 201, response.json()
    assert RegisteredModel.objects.get(slug="churn").owner == olivia
    assert AuditEvent.objects.filter(action="model.created").count() == 1


@pytest.mark.parametrize("role", ["victor", "ada", "ci", "nobody"])
def test_other_roles_may_not_create_models(request, role):
    client = api_as(request.getfixturevalue(role), "manage")
    assert client.post("/api/v1/models/", NEW_MODEL, format="json").status_code == 403


def test_duplicate_slug_is_409(olivia, credit_model):
    response = api_as(olivia, "manage").post("/api/v1/models/", NEW_MODEL | {"slug": "credit-pd"},
                                            format="json")
    assert response.status_code == 409


def test_missing_fields_listed(olivia):
    response = api_as(olivia, "manage").post("/api/v1/models/", {"slug": "x"}, format="json")
    assert set(response.json()["errors"]) >= {"name", "purpose", "risk_tier", "tier_rationale"}


def test_malformed_json_body(olivia):
    response = api_as(olivia, "manage").post("/api/v1/models/", "{oops",
                                            content_type="application/json")
    assert (response.status_code, response.json()["type"]) == (400,
                                                               "/api/problems/malformed-request")


def test_unknown_owner_username(rita):
    response = api_as(rita, "manage").post("/api/v1/models/", NEW_MODEL | {"owner": "ghost"},
                                          format="json")
    assert response.status_code == 422 and response.json()["field"] == "owner"


def test_owner_updates_with_reason_and_before_after(olivia, credit_model):
    api_as(olivia, "manage").patch("/api/v1/models/credit-pd/",
                                   {"risk_tier": 2, "reason": "scope reduced"}, format="json")
    event = AuditEvent.objects.get(action="model.updated")
    assert (event.before, event.after, event.reason) == ({"risk_tier": 1}, {"risk_tier": 2},
                                                         "scope reduced")


def test_developer_may_not_edit_inventory_entry(dan, credit_model):
    response = api_as(dan, "manage").patch("/api/v1/models/credit-pd/", {"risk_tier": 3},
                                           format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["olivia", "dan", "victor", "rita", "ada", "ci"])
def test_every_role_may_list(request, role, credit_model):
    client = api_as(request.getfixturevalue(role), "read")
    assert client.get("/api/v1/models/").json()["count"] == 1


def test_user_without_role_may_not_list(nobody):
    assert api_as(nobody, "read").get("/api/v1/models/").status_code == 403


def test_list_filters_by_tier(rita, credit_model, other_model):
    body = api_as(rita, "read").get("/api/v1/models/?tier=2").json()
    assert [m["slug"] for m in body["results"]] == ["fraud"]


def test_versions_filtered_by_tag(ci_api, rita, xgb_json, lgbm_text):
    from tests.conftest import register

    register(ci_api, "credit-pd", xgb_json, metadata={"tags": ["champion"]})
    register(ci_api, "credit-pd", lgbm_text)
    body = api_as(rita, "read").get("/api/v1/models/credit-pd/versions/?tag=champion").json()
    assert [v["number"] for v in body["results"]] == [1]
