"""Wrong signature passwords: each is a security event; five in a row lock signing for
15 minutes (429), the right password included."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import FailedAttempt
from audit.models import AuditEvent
from governance.workflow.errors import SignatureRefused, SignatureThrottled
from governance.workflow.models import Decision
from tests.workflow.conftest import sign


def test_a_wrong_signature_password_is_refused_and_recorded(reviewed, victor):
    with pytest.raises(SignatureRefused):
        sign(victor, reviewed, password="wrong")
    event = AuditEvent.objects.get(action="security.signature_failed")
    assert event.actor_id == victor.pk


def test_five_wrong_signature_passwords_lock_signing(reviewed, victor, lenient_fairness):
    for _ in range(4):
        with pytest.raises(SignatureRefused):
            sign(victor, reviewed, password="wrong")
    with pytest.raises(SignatureThrottled):
        sign(victor, reviewed, password="wrong")
    with pytest.raises(SignatureThrottled) as throttled:
        sign(victor, reviewed)  # the right password, but locked
    assert throttled.value.status == 429
    assert not Decision.objects.exists()
    assert AuditEvent.objects.filter(action="security.signature_locked").count() == 1


def test_signing_works_again_after_the_window(reviewed, victor, lenient_fairness):
    for _ in range(5):
        with pytest.raises((SignatureRefused, SignatureThrottled)):
            sign(victor, reviewed, password="wrong")
    FailedAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    sign(victor, reviewed, kind="request_changes")
    assert Decision.objects.filter(signer=victor).exists()


def test_the_sign_page_answers_429_when_locked(reviewed, victor):
    client = Client()
    client.force_login(victor)
    url = f"/models/credit-pd/versions/{reviewed.number}/sign/request_changes/"
    form = {"meaning": "changes needed", "reason": "gaps", "password": "wrong"}
    statuses = [client.post(url, form).status_code for _ in range(6)]
    assert statuses[:4] == [403] * 4 and statuses[4:] == [429, 429]
    response = client.post(url, form | {"password": "victor-pass-123!"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
