"""E-mail on assignment and decision; signed webhooks with retries."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from celery.exceptions import Retry
from django.core import mail

from governance.workflow.models import WebhookDelivery, WebhookEndpoint
from governance.workflow.services import transition
from governance.workflow.tasks import deliver_webhook, signature


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).answers.pop(0) if type(self).answers else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.answers, Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


@pytest.fixture
def endpoint(receiver, db):
    return WebhookEndpoint.objects.create(name="ci", url=receiver, secret="s3cret",
                                          events=["version.halt"])


def _halt(version, rita, django_capture_on_commit_callbacks):
    from registry.models import ModelVersion

    ModelVersion.objects.filter(pk=version.pk).update(status="deployed")
    with django_capture_on_commit_callbacks(execute=False):
        transition(actor=rita, version=version, action="halt", reason="incident 7")
    return WebhookDelivery.objects.get()


def test_submit_mails_the_models_validator(evidence_version, olivia, victor,
                                           django_capture_on_commit_callbacks):
    victor.email = "victor@bank.example"
    victor.save()
    with django_capture_on_commit_callbacks(execute=True):
        transition(actor=olivia, version=evidence_version, action="submit")
    assert [m.to for m in mail.outbox] == [["victor@bank.example"]]


def test_webhook_is_signed_with_hmac(endpoint, reviewed, rita,
                                     django_capture_on_commit_callbacks):
    delivery = _halt(reviewed, rita, django_capture_on_commit_callbacks)
    assert deliver_webhook(delivery.pk) == "delivered"
    headers, body = Receiver.received[0]
    expected = signature("s3cret", headers["X-Assay-Timestamp"], body)
    assert hmac.compare_digest(headers["X-Assay-Signature"], expected)
    assert json.loads(body)["event"] == "version.halt"


def test_signature_is_hmac_sha256_of_timestamp_and_body():
    mac = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature("k", "1700000000", b"{}") == f"sha256={mac}"


def test_5xx_is_retried_then_delivered(endpoint, reviewed, rita,
                                       django_capture_on_commit_callbacks):
    delivery = _halt(reviewed, rita, django_capture_on_commit_callbacks)
    Receiver.answers = [503]
    with pytest.raises(Retry):
        deliver_webhook(delivery.pk)
    assert deliver_webhook(delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.status) == (2, "delivered")


def test_4xx_is_not_retried(endpoint, reviewed, rita, django_capture_on_commit_callbacks):
    delivery = _halt(reviewed, rita, django_capture_on_commit_callbacks)
    Receiver.answers = [410]
    assert deliver_webhook(delivery.pk) == "failed"
    assert deliver_webhook(delivery.pk) == "nothing to do"


def test_endpoint_only_gets_its_events(endpoint, evidence_version, olivia,
                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        transition(actor=olivia, version=evidence_version, action="submit")
    assert not WebhookDelivery.objects.exists()
