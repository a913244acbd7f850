from django.conf import settings
from django.db import models

from registry.models import Blob, Dataset, ModelVersion, RegisteredModel


class EvidenceRun(models.Model):
    """One piece of evidence for one model version on one dataset, computed by a worker.

    The ``fingerprint`` covers everything the numbers depend on (kind, artifact and
    dataset hashes, the full recipe), so an identical request reuses this run.
    """

    class Kind(models.TextChoices):
        SCORING = "scoring", "Scoring"
        PERFORMANCE = "performance", "Performance"
        SHAP = "shap", "SHAP explanations"
        REASON_CODES = "reason_codes", "Adverse-action reason codes"
        FAIRNESS = "fairness", "Fairness"
        DRIFT = "drift", "Drift and data quality"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT,
                                related_name="evidence_runs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="+")
    reference_dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Drift: the baseline; SHAP: where the background sample comes from.")
    input_hashes = models.JSONField(help_text="sha256 of the artifact and every dataset used")
    recipe = models.JSONField(help_text="every parameter the numbers depend on")
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    trigger = models.CharField(max_length=20, help_text="policy, api, web or cli")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="when the broker took the task; empty = not sent yet")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker_host = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=20, blank=True)
    library_versions = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    result_blob = models.ForeignKey(Blob, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", help_text="per-row results (Parquet)")
    charts = models.JSONField(default=dict, blank=True,
                              help_text="{name: SVG} drawn once when the run succeeded")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"]),
                   models.Index(fields=["version", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.version} on {self.dataset.name}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class ReasonText(models.Model):
    """The owner's human-readable adverse-action reason for a feature of a model."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE,
                              related_name="reason_texts")
    feature = models.CharField(max_length=200)
    text = models.CharField(max_length=300)
    excluded = models.BooleanField(default=False,
                                   help_text="never give this feature as a reason")

    class Meta:
        ordering = ["feature"]
        constraints = [models.UniqueConstraint(fields=["model", "feature"],
                                               name="reason_text_once_per_feature")]

    def __str__(self):
        return f"{self.feature}: {self.text}"
