"""Audit packs (immutable signed PDFs for one model version) and the public halves of
the Ed25519 keys that sign them. Rows are written only by ``services``."""

from django.conf import settings
from django.db import models

from governance.workflow.models import Approval
from registry.models import Blob, ModelVersion


class SigningKey(models.Model):
    """An Ed25519 key that signs packs. The private half is a file on the server
    (ASSAY_SIGNING_KEY_DIR); the public half stays here, also after rotation, so old
    packs remain verifiable and the keys are published at /api/v1/signing-keys/."""

    key_id = models.CharField(max_length=40, unique=True)
    public_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True,
                                      help_text="no longer signs; still verifies")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.key_id


class AuditPack(models.Model):
    """One rendered, sealed pack. Never changed: new evidence makes a new pack."""

    class Trigger(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        CLI = "cli", "Command line"
        APPROVAL = "approval", "Approval took effect"

    pack_id = models.CharField(max_length=40, unique=True,
                               help_text="derived from the content: same evidence, same id")
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT,
                                related_name="audit_packs")
    approval = models.ForeignKey(Approval, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="audit_packs")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveIntegerField()
    key_id = models.CharField(max_length=40)
    manifest = models.JSONField()
    describes_moment = models.DateTimeField(help_text="the moment the pack describes")
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    timings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Audit pack {self.pack_id} of {self.version}"

    @property
    def filename(self) -> str:
        return f"audit-pack-{self.version.model.slug}-v{self.version.number}-{self.pack_id}.pdf"
