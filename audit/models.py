from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One append-only entry of the hash-chained audit trail.

    Names and labels are frozen copies: renaming a user or a model later does
    not rewrite history. The database refuses UPDATE and DELETE on this table
    (triggers installed by migration 0002).
    """

    class ActorKind(models.TextChoices):
        USER = "user"
        SERVICE = "service"
        SYSTEM = "system"

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    timestamp = models.DateTimeField(db_index=True, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    actor_name = models.CharField(max_length=200)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, db_index=True)
    target_id = models.CharField(max_length=64, db_index=True)
    target_label = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, db_index=True)
    channel = models.CharField(max_length=16)
    ip = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=64, blank=True, default="", editable=False,
                              help_text="server key of the keyed hash; empty: legacy sha256")

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["target_type", "target_id", "-sequence"])]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.target_label} by {self.actor_name}"


class ChainCheck(models.Model):
    """One run of the periodic chain verification (``audit.verify_chain``): what
    it verified and, when it failed, why. The audit page shows the latest."""

    checked_at = models.DateTimeField(db_index=True)
    ok = models.BooleanField()
    events_verified = models.PositiveBigIntegerField(default=0)
    last_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64, blank=True)
    anchor_sequence = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="sequence of the latest anchor compared with")
    deep = models.BooleanField(default=False, help_text="registered deep checks also ran")
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        get_latest_by = "checked_at"

    def __str__(self):
        state = "verified" if self.ok else "FAILED"
        return f"chain check {state} at {self.checked_at:%Y-%m-%d %H:%M}"
