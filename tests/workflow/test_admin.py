from audit.models import AuditEvent
from governance.workflow.models import WebhookEndpoint


def test_superuser_adds_a_webhook_endpoint_and_it_is_audited(admin_client):
    response = admin_client.post("/admin/workflow/webhookendpoint/add/", {
        "name": "deployer", "url": "https://ci.bank.example/hooks/assay", "secret": "k3y",
        "events": '["version.halt"]', "active": "on"})
    assert response.status_code == 302 and WebhookEndpoint.objects.get().name == "deployer"
    event = AuditEvent.objects.get(action="webhook_endpoint.saved")
    assert "k3y" not in str(event.after) and event.after["secret_changed"] is True


def test_decisions_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/workflow/decision/add/").status_code == 403
