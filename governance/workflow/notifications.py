"""Telling people and systems: e-mail on assignment and decision, signed webhooks.

Called inside the service's transaction: webhook deliveries are rows written with
the change (an outbox), and both mail and delivery tasks leave only on commit.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from governance.workflow.models import WebhookDelivery, WebhookEndpoint
from registry.roles import APPROVER, RISK_OFFICER, VALIDATOR

log = logging.getLogger(__name__)

# Who hears about a status change, by the action that caused it.
ASSIGNEES = {"submit": ("validator", VALIDATOR), "start_validation": ("", APPROVER,
                                                                      RISK_OFFICER)}
DECISIONS = ("approve", "reject", "request_changes", "halt", "rollback", "deploy", "retire")


def _version_url(version) -> str:
    path = reverse("version", args=[version.model.slug, version.number])
    return settings.ASSAY_PUBLIC_URL.rstrip("/") + path


def _recipients(version, action: str) -> set[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if action in ASSIGNEES:
        per_model, *groups = ASSIGNEES[action]
        chosen = set(users.filter(groups__name__in=groups).values_list("email", flat=True))
        if per_model == "validator" and version.model.validator and version.model.validator.email:
            chosen = {version.model.validator.email}  # the assigned validator, not everyone
        return chosen
    people = [version.model.owner, version.model.developer, version.registered_by]
    return {person.email for person in people if person and person.email}


def _mail(subject: str, body: str, recipients: set[str]) -> None:
    if not recipients:
        return

    def send():
        try:
            send_mail(subject, body, None, sorted(recipients))
        except OSError:  # the mail server is down: the decision stands, the log says so
            log.exception("could not send %r", subject)

    transaction.on_commit(send)


def _webhooks(event: str, payload: dict) -> None:
    from governance.workflow.tasks import deliver_webhook

    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if endpoint.events and event not in endpoint.events:
            continue
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event,
                                                  payload=payload)
        transaction.on_commit(lambda pk=delivery.pk: _enqueue(deliver_webhook, pk))


def _enqueue(task, delivery_id: int) -> None:
    try:
        task.delay(delivery_id)
    except Exception:  # noqa: BLE001 - broker down: the row stays pending for the sweeper
        log.exception("could not enqueue webhook delivery %s", delivery_id)


def _payload(version, action: str, actor, reason: str) -> dict:
    return {"event": f"version.{action}", "model": version.model.slug,
            "version": version.number, "version_id": version.pk, "status": version.status,
            "actor": actor.get_username() if actor else "system", "reason": reason,
            "artifact_sha256": version.artifact.sha256, "url": _version_url(version)}


def version_changed(version, action: str, actor, reason: str) -> None:
    status = version.get_status_display().lower()
    _mail(f"[Assay] {version.model.slug} v{version.number} is {status}",
          f"{actor.get_full_name() or actor.get_username()} took the action '{action}' on "
          f"{version}.\nReason: {reason or '-'}\n\n{_version_url(version)}\n",
          _recipients(version, action))
    if action in DECISIONS or action == "submit":
        _webhooks(f"version.{action}", _payload(version, action, actor, reason))


def signature_added(version, decision) -> None:
    _mail(f"[Assay] {version} has {decision.signer_name}'s approval; more signatures needed",
          f"{decision.signer_name} signed as {decision.capacity}: {decision.meaning}\n\n"
          f"{_version_url(version)}\n", _recipients(version, "start_validation"))


def finding_raised(finding) -> None:
    if finding.owner.email:
        _mail(f"[Assay] Finding assigned to you: {finding.title}",
              f"{finding.get_severity_display()} finding on {finding.version}, due "
              f"{finding.due_date:%Y-%m-%d}.\n\n{finding.description}\n\n"
              f"{_version_url(finding.version)}\n", {finding.owner.email})
