"""Brute force: logins lock per account (5) and per address (20) within 15 minutes, the
right password included; a service account cannot sign in; every failure and lock-out
is a searchable security event."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import FailedAttempt
from audit.models import AuditEvent

PASSWORD = "rita-pass-123!"


def _login(username, password, address="10.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/login/", {"username": username, "password": password})


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_logs_in(rita):
    client, response = _login("rita", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


def test_four_failures_then_the_right_password_logs_in(rita):
    for _ in range(4):
        assert _login("rita", "wrong")[1].status_code == 200
    client, response = _login("rita", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


def test_five_failures_lock_the_account_even_for_the_right_password(rita):
    for _ in range(5):
        _login("rita", "wrong")
    client, response = _login("rita", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429 and not _logged_in(client)
    assert int(response["Retry-After"]) > 0 and b"Too many wrong passwords" in response.content


def test_the_lock_ends_after_the_window(rita):
    for _ in range(5):
        _login("rita", "wrong")
    FailedAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    client, response = _login("rita", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


def test_a_success_clears_the_account_counter(rita):
    for _ in range(4):
        _login("rita", "wrong")
    _login("rita", PASSWORD)
    for _ in range(4):
        _login("rita", "wrong")
    assert _login("rita", PASSWORD)[1].status_code == 302


def test_twenty_failures_from_one_address_lock_the_address(rita, victor):
    for number in range(20):
        _login(f"guess{number}", "wrong", address="10.6.6.6")
    assert _login("rita", PASSWORD, address="10.6.6.6")[1].status_code == 429
    assert _login("rita", PASSWORD, address="10.7.7.7")[1].status_code == 302


def test_failures_and_the_lockout_are_security_events(rita):
    for _ in range(6):
        _login("rita", "wrong", address="10.1.2.3")
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions.count("security.login_failed") == 5
    assert actions.count("security.login_locked") == 1
    assert actions.count("security.login_refused_locked") == 1
    event = AuditEvent.objects.filter(action="security.login_locked").get()
    assert event.ip == "10.1.2.3" and event.target_label == "rita"


def test_admin_login_is_throttled_too(db):
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", password="root-pass-123!")
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    client.post("/admin/login/", {"username": "root", "password": "root-pass-123!"})
    assert not _logged_in(client)


def test_a_service_account_cannot_sign_in_even_with_a_password(ci):
    ci.set_password("ci-pass-123!")
    ci.save()
    client, response = _login("ci", "ci-pass-123!")
    assert response.status_code == 200 and not _logged_in(client)


def test_demo_service_account_has_no_usable_password(rita):
    from django.contrib.auth.models import User

    from governance.management.commands.demo import Command

    passwords = Command()._seed_users()
    assert passwords["ci"] == "" and not User.objects.get(username="ci").has_usable_password()
    assert User.objects.get(username="olivia").check_password(passwords["olivia"])


@pytest.fixture
def auditor_client(ada):
    client = Client()
    client.force_login(ada)
    return client


def test_auditor_finds_every_security_event_on_the_audit_page(rita, auditor_client):
    for _ in range(5):
        _login("rita", "wrong")
    page = auditor_client.get("/audit/", {"action": "security.*"})
    assert page.status_code == 200
    events = list(page.context["page"])
    assert len(events) == 6 and all(e.action.startswith("security.") for e in events)
    assert b"All security events" in page.content


def test_refused_api_action_is_a_security_event(nobody, credit_model):
    from tests.conftest import api_as

    response = api_as(nobody, "read").get("/api/v1/models/")
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="security.access_denied")
    assert event.actor_id == nobody.pk and "/api/v1/models/" in event.target_label


def test_refused_page_is_a_security_event(nobody, credit_model):
    client = Client()
    client.force_login(nobody)
    assert client.get("/dashboard/").status_code == 403
    assert AuditEvent.objects.filter(action="security.access_denied",
                                     actor_id=nobody.pk).count() == 1


def test_an_allowed_request_records_no_security_event(rita, credit_model):
    client = Client()
    client.force_login(rita)
    assert client.get("/dashboard/").status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="security.").exists()
