"""Regression tests for the 500s a model-risk team hit in the demo (issue 12)."""

import pytest
from django.contrib.auth.models import User

from audit.models import AuditEvent
from registry.models import RegisteredModel


def test_model_page_without_developer_and_without_versions_renders(client, rita, other_model):
    assert other_model.developer is None and not other_model.versions.exists()
    client.force_login(rita)
    response = client.get(f"/models/{other_model.slug}/")
    assert response.status_code == 200
    assert b"No version registered yet" in response.content


def test_retired_vendor_model_page_renders(client, rita, olivia):
    RegisteredModel.objects.create(
        slug="card-fraud-vendor", name="Card fraud score (vendor)", purpose="fraud",
        owner=olivia, risk_tier=2, tier_rationale="vendor", origin="vendor",
        vendor_name="ScoreCo", status="retired")
    client.force_login(rita)
    response = client.get("/models/card-fraud-vendor/")
    assert response.status_code == 200 and b"ScoreCo" in response.content


def test_policy_change_refused_by_the_server_shows_the_message(client, rita):
    client.force_login(rita)
    response = client.post("/policies/", {"tier": "1", "required_evidence": ["performance"],
                                          "approvals_required": "0", "revalidation_months": "12",
                                          "grace_days": "0", "reason": "   "})
    assert response.status_code in (400, 422)
    assert b"Tier 1:" in response.content


def test_policy_change_with_a_blank_reason_is_refused_not_a_500(client, rita):
    client.force_login(rita)
    response = client.post("/policies/", {"tier": "2", "required_evidence": ["performance"],
                                          "approvals_required": "1", "revalidation_months": "12",
                                          "grace_days": "0", "reason": "   "})
    assert 400 <= response.status_code < 500


@pytest.mark.django_db(transaction=True)  # the admin action runs outside any test transaction
def test_admin_bulk_delete_of_users_is_audited_in_one_transaction(admin_client, nobody):
    response = admin_client.post("/admin/auth/user/", {
        "action": "delete_selected", "_selected_action": [nobody.pk], "post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(username="nobody").exists()
    event = AuditEvent.objects.get(action="auth.user.deleted")
    assert event.before["username"] == "nobody"


@pytest.mark.django_db(transaction=True)
def test_admin_bulk_delete_of_webhook_endpoints_is_audited(admin_client):
    from governance.workflow.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(name="deployer", url="https://ci.bank.example/h",
                                              secret="k3y", events=["version.halt"])
    response = admin_client.post("/admin/workflow/webhookendpoint/", {
        "action": "delete_selected", "_selected_action": [endpoint.pk], "post": "yes"})
    assert response.status_code == 302 and not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.get(action="webhook_endpoint.deleted").before["name"] == "deployer"
