"""Creating and editing inventory entries in the web UI: the same service, permissions
and audit as the API; completeness flags; the CSV export."""

import csv
import io

from audit.models import AuditEvent
from registry.models import RegisteredModel

ENTRY = {"slug": "churn", "name": "Churn model", "purpose": "Predicts churn",
         "owner": "olivia", "risk_tier": "3", "tier_rationale": "marketing only",
         "origin": "in_house", "status": "in_development", "regulatory_scope": ["sr_11_7"]}


def test_risk_officer_adds_a_model_and_it_is_audited(client, rita, olivia):
    client.force_login(rita)
    response = client.post("/inventory/new/", ENTRY)
    assert response.status_code == 302 and response["Location"] == "/models/churn/"
    model = RegisteredModel.objects.get(slug="churn")
    assert model.owner == olivia and model.regulatory_scope == ["sr_11_7"]
    event = AuditEvent.objects.get(action="model.created")
    assert event.actor_name.endswith("rita") and event.channel == "web"
    page = client.get("/models/churn/")
    assert b"Churn model was added to the inventory" in page.content


def test_a_blank_name_comes_back_next_to_its_field(client, rita, olivia):
    client.force_login(rita)
    response = client.post("/inventory/new/", ENTRY | {"name": "   "})
    assert response.status_code == 422
    assert b'id="id_name_error"' in response.content
    assert not RegisteredModel.objects.filter(slug="churn").exists()


def test_a_duplicate_slug_is_refused_on_the_slug_field(client, rita, credit_model):
    client.force_login(rita)
    response = client.post("/inventory/new/", ENTRY | {"slug": "credit-pd"})
    assert response.status_code == 422 and b'id="id_slug_error"' in response.content


def test_vendor_model_needs_a_vendor_name(client, rita, olivia):
    client.force_login(rita)
    response = client.post("/inventory/new/", ENTRY | {"origin": "vendor"})
    assert response.status_code == 422 and b'id="id_vendor_name_error"' in response.content


def test_validator_may_not_add_models(client, victor):
    client.force_login(victor)
    assert client.get("/inventory/new/").status_code == 403
    assert client.post("/inventory/new/", ENTRY).status_code == 403


def test_owner_edits_with_a_reason_and_the_change_is_audited(client, olivia, credit_model):
    client.force_login(olivia)
    form = client.get("/models/credit-pd/edit/")
    assert form.status_code == 200 and b"Probability of default" in form.content
    response = client.post("/models/credit-pd/edit/", {
        "name": "Credit PD", "purpose": "Probability of default", "owner": "olivia",
        "developer": "dan", "validator": "victor", "ci_accounts": ["ci"], "risk_tier": "1",
        "tier_rationale": "consumer credit", "origin": "in_house", "status": "in_development",
        "limitations": "Thin data under 25", "reason": "documented the limitation"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="model.updated")
    assert event.after == {"limitations": "Thin data under 25"}
    assert event.reason == "documented the limitation"


def test_an_edit_without_a_reason_is_refused(client, olivia, credit_model):
    client.force_login(olivia)
    response = client.post("/models/credit-pd/edit/", {
        "name": "Credit PD", "purpose": "x", "owner": "olivia", "risk_tier": "1",
        "tier_rationale": "t", "origin": "in_house", "status": "in_development",
        "reason": " "})
    assert response.status_code == 422 and b'id="id_reason_error"' in response.content
    assert not AuditEvent.objects.filter(action="model.updated").exists()


def test_developer_may_not_edit_the_entry(client, dan, credit_model):
    client.force_login(dan)
    assert client.get("/models/credit-pd/edit/").status_code == 403


def test_completeness_flags_name_what_is_missing(client, rita, olivia):
    RegisteredModel.objects.create(
        slug="vendor", name="Vendor score", purpose="p", owner=olivia, risk_tier=2,
        tier_rationale="t", status="in_production", next_review_date="2030-01-01")
    client.force_login(rita)
    text = client.get("/models/vendor/").content.decode()
    for gap in ("In production without an approved version", "No validator assigned",
                "Missing limitations", "Missing inputs", "Missing outputs",
                "Review date set but never approved"):
        assert gap in text
    assert "No validator assigned" in client.get("/").content.decode()


def test_inventory_csv_has_every_model_and_neutralises_formulas(client, rita, olivia):
    RegisteredModel.objects.create(slug="evil", name="=HYPERLINK(\"http://x\")",
                                   purpose="@SUM(1)", owner=olivia, risk_tier=3,
                                   tier_rationale="t")
    client.force_login(rita)
    response = client.get("/inventory.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["slug"] for row in rows] == ["evil"]
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")" and rows[0]["purpose"] == "'@SUM(1)"


def test_inventory_csv_is_for_inventory_readers(client, nobody):
    client.force_login(nobody)
    assert client.get("/inventory.csv").status_code == 403
