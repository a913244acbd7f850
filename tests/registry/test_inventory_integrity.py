"""The inventory cannot be used to sidestep separation of duties: derived fields are not
writable by owners, the validator is never the developer, and an Idempotency-Key stands
for one whole request."""

from audit.models import AuditEvent
from registry.models import ModelVersion
from tests.conftest import api_as, register

MODEL = "/api/v1/models/credit-pd/"


def test_validator_cannot_be_set_to_the_developer(olivia, credit_model):
    response = api_as(olivia, "manage").patch(MODEL, {"validator": "dan"}, format="json")
    assert (response.status_code, response.json()["type"]) == (400, "/api/problems/role-conflict")
    assert response.json()["field"] == "validator"
    credit_model.refresh_from_db()
    assert credit_model.validator.username == "victor"


def test_developer_cannot_be_set_to_the_validator(olivia, credit_model):
    response = api_as(olivia, "manage").patch(MODEL, {"developer": "victor"}, format="json")
    assert response.json()["type"] == "/api/problems/role-conflict"


def test_a_model_cannot_be_created_with_its_developer_as_validator(olivia, dan):
    response = api_as(olivia, "manage").post("/api/v1/models/", {
        "slug": "m", "name": "M", "purpose": "p", "risk_tier": 2, "tier_rationale": "r",
        "developer": "dan", "validator": "dan"}, format="json")
    assert (response.status_code, response.json()["type"]) == (400, "/api/problems/role-conflict")


def test_owner_may_not_set_the_derived_status(olivia, credit_model):
    response = api_as(olivia, "manage").patch(MODEL, {"status": "retired", "reason": "x"},
                                              format="json")
    assert (response.status_code, response.json()["type"]) == (
        400, "/api/problems/derived-field-not-writable")
    credit_model.refresh_from_db()
    assert credit_model.status == "in_development"


def test_owner_may_not_move_the_review_date(olivia, credit_model):
    response = api_as(olivia, "manage").patch(MODEL, {"next_review_date": "2030-01-01"},
                                              format="json")
    assert response.json()["type"] == "/api/problems/derived-field-not-writable"


def test_owner_may_not_create_a_retired_model(olivia):
    response = api_as(olivia, "manage").post("/api/v1/models/", {
        "slug": "m", "name": "M", "purpose": "p", "risk_tier": 3, "tier_rationale": "r",
        "status": "retired"}, format="json")
    assert response.json()["type"] == "/api/problems/derived-field-not-writable"


def test_resending_the_unchanged_status_is_accepted(olivia, credit_model):
    response = api_as(olivia, "manage").patch(MODEL, {"status": "in_development",
                                                      "name": "Credit PD 2"}, format="json")
    assert response.status_code == 200


def test_risk_officer_override_needs_a_reason(rita, credit_model):
    response = api_as(rita, "manage").patch(MODEL, {"status": "retired"}, format="json")
    assert (response.json()["type"], response.json()["field"]) == (
        "/api/problems/derived-field-not-writable", "reason")


def test_risk_officer_override_with_reason_is_audited(rita, credit_model):
    response = api_as(rita, "manage").patch(MODEL, {
        "status": "retired", "reason": "decommissioned in the 2025 clean-up"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "retired")
    event = AuditEvent.objects.get(action="model.derived_fields_overridden")
    assert (event.before, event.after, event.reason, event.actor_id) == (
        {"status": "in_development"}, {"status": "retired"},
        "decommissioned in the 2025 clean-up", rita.pk)


def test_reused_idempotency_key_with_other_metadata_conflicts(ci_api, xgb_json):
    first = register(ci_api, "credit-pd", xgb_json, metadata={"git_commit": "abc1234"},
                     HTTP_IDEMPOTENCY_KEY="run-42")
    again = register(ci_api, "credit-pd", xgb_json, metadata={"git_commit": "def5678"},
                     HTTP_IDEMPOTENCY_KEY="run-42")
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json()["type"] == "/api/problems/idempotency-conflict"
    assert ModelVersion.objects.get().git_commit == "abc1234"


def test_exact_retry_with_the_key_still_returns_the_version(ci_api, xgb_json):
    metadata = {"git_commit": "abc1234", "tags": ["nightly"]}
    first = register(ci_api, "credit-pd", xgb_json, metadata=metadata,
                     HTTP_IDEMPOTENCY_KEY="run-42")
    again = register(ci_api, "credit-pd", xgb_json, metadata=metadata,
                     HTTP_IDEMPOTENCY_KEY="run-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]


def test_registration_freezes_the_developer_on_the_version(ci_api, xgb_json, dan):
    register(ci_api, "credit-pd", xgb_json)
    assert ModelVersion.objects.get().developer_at_registration == dan
