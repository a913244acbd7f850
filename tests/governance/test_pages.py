import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.conftest import register


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_login_page_then_inventory(olivia, credit_model):
    client = Client()
    response = client.post("/login/", {"username": "olivia", "password": "olivia-pass-123!"},
                           follow=True)
    assert b"Credit PD" in response.content


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ["olivia", "dan", "victor", "rita", "ada"])
def test_roles_see_inventory(request, role, credit_model):
    assert client_for(request.getfixturevalue(role)).get("/").status_code == 200


def test_a_service_account_has_no_web_session(ci, credit_model):
    """CI uses tokens only: even a session made for it is not honoured."""
    response = client_for(ci).get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_user_without_role_is_denied_inventory(nobody):
    assert client_for(nobody).get("/").status_code == 403


def test_filters_narrow_the_inventory(rita, credit_model, other_model):
    content = client_for(rita).get("/?tier=2").content
    assert b"Fraud" in content and b"Credit PD" not in content


def test_htmx_request_gets_only_the_table(rita, credit_model):
    response = client_for(rita).get("/?q=credit", HTTP_HX_REQUEST="true")
    assert b"<table>" in response.content and b"<html" not in response.content


def test_model_page_shows_versions_and_timeline(rita, ci_api, xgb_json):
    register(ci_api, "credit-pd", xgb_json, metadata={"git_commit": "abcdef1234"})
    content = client_for(rita).get("/models/credit-pd/").content.decode()
    assert "v1" in content and "abcdef1234" in content and "version.registered" in content


def test_model_page_unknown_slug_is_404(rita):
    assert client_for(rita).get("/models/nope/").status_code == 404


def test_model_page_denied_without_role(nobody, credit_model):
    assert client_for(nobody).get("/models/credit-pd/").status_code == 403


def test_auditor_searches_audit_trail(ada, ci_api, xgb_json):
    register(ci_api, "credit-pd", xgb_json)
    response = client_for(ada).get("/audit/?action=version.registered")
    assert response.status_code == 200 and b"credit-pd v1" in response.content


@pytest.mark.parametrize("role", ["olivia", "victor", "rita"])  # ci: no web session at all
def test_audit_search_is_auditors_only(request, role):
    assert client_for(request.getfixturevalue(role)).get("/audit/").status_code == 403


def test_admin_is_for_superusers_only(rita, django_user_model):
    rita.is_staff = True
    rita.save()
    assert client_for(rita).get("/admin/").status_code == 302
    root = django_user_model.objects.create_superuser("root", password="root-pass-123!")
    assert client_for(root).get("/admin/").status_code == 200


def test_admin_cannot_edit_audit_or_registry(credit_model, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-pass-123!")
    client = client_for(root)
    assert client.get(f"/admin/registry/registeredmodel/{credit_model.pk}/change/").status_code \
        == 200  # view-only page
    client.post(f"/admin/registry/registeredmodel/{credit_model.pk}/change/", {"name": "x"})
    credit_model.refresh_from_db()
    assert credit_model.name == "Credit PD" and not AuditEvent.objects.filter(
        action="model.updated").exists()


def test_pages_send_security_headers(rita):
    response = client_for(rita).get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY" and response["X-Request-ID"]


def test_login_form_requires_csrf(olivia):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "olivia", "password": "olivia-pass-123!"})
    assert response.status_code == 403


def test_admin_role_change_is_audited(olivia, django_user_model):
    from django.contrib.auth.models import Group

    root = django_user_model.objects.create_superuser("root", password="root-pass-123!")
    auditor = Group.objects.get(name="Auditor")
    response = client_for(root).post(f"/admin/auth/user/{olivia.pk}/change/", {
        "username": "olivia", "first_name": "Olivia", "last_name": "Owen", "is_active": "on",
        "groups": [auditor.pk], "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="auth.user.changed")
    assert event.after["groups"] == ["Auditor"] and event.before["groups"] == ["Model developer"]
    assert "password" not in event.after and event.actor_name == "root"
