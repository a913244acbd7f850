"""Outgoing webhooks: POST the event, signed with HMAC-SHA256, retried with backoff on
network errors and 5xx; a 4xx is the receiver's answer and is not retried."""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import httpx
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.workflow.integrity import record_mismatches
from governance.workflow.models import WebhookDelivery

log = logging.getLogger(__name__)
integrity_log = logging.getLogger("assay.integrity")


class ReceiverUnavailable(Exception):
    """Network error or 5xx: worth another try."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the receiver recomputes: HMAC-SHA256 over "<timestamp>.<body>" (the
    timestamp stops replays of an old delivery)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _post(delivery: WebhookDelivery) -> int:
    body = json.dumps(delivery.payload, sort_keys=True, default=str).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "assay-webhooks/1",
               "X-Assay-Event": delivery.event, "X-Assay-Delivery": str(delivery.pk),
               "X-Assay-Timestamp": timestamp,
               "X-Assay-Signature": signature(delivery.endpoint.secret, timestamp, body)}
    try:
        response = httpx.post(delivery.endpoint.url, content=body, headers=headers,
                              timeout=settings.ASSAY_WEBHOOK_TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise ReceiverUnavailable(f"{type(error).__name__}: {error}") from error
    if response.status_code >= 500:
        raise ReceiverUnavailable(f"HTTP {response.status_code}")
    return response.status_code


@shared_task(name="workflow.deliver_webhook", bind=True, acks_late=True,
             max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related(
            "endpoint").filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).first()
        if delivery is None:
            return "nothing to do"  # delivered or given up meanwhile (a duplicate message)
        delivery.attempts += 1
        try:
            delivery.response_status = _post(delivery)
        except ReceiverUnavailable as error:
            delivery.last_error = str(error)[:2000]
            if delivery.attempts >= settings.ASSAY_WEBHOOK_MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.save()
                log.warning("webhook %s given up after %s attempts", delivery_id,
                            delivery.attempts)
                return "failed"
            delivery.save()
            countdown = min(2 ** delivery.attempts, 600)
        else:
            ok = 200 <= delivery.response_status < 300
            delivery.status = (WebhookDelivery.Status.DELIVERED if ok
                               else WebhookDelivery.Status.FAILED)
            delivery.delivered_at = timezone.now() if ok else None
            delivery.last_error = "" if ok else f"receiver answered {delivery.response_status}"
            delivery.save()
            return delivery.status
    raise self.retry(countdown=countdown)


@shared_task(name="workflow.send_pending_webhooks")
def send_pending_webhooks() -> int:
    """Deliveries whose first send never reached the broker (it was down at commit)."""
    stale = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, attempts=0,
                                           created_at__lt=timezone.now() - timedelta(minutes=1))
    sent = 0
    for pk in stale.values_list("pk", flat=True)[:500]:
        deliver_webhook.delay(pk)
        sent += 1
    return sent


@shared_task(name="workflow.verify_records", acks_late=True)
def verify_records() -> list[str]:
    """The periodic deep check: every decision, approval and version status against the
    audit events that created them. Each mismatch is logged as an error (alert on the
    ``assay.integrity`` logger) and returned."""
    mismatches = [str(m) for m in record_mismatches()]
    for mismatch in mismatches:
        integrity_log.error("record disagrees with the audit trail: %s", mismatch)
    return mismatches
