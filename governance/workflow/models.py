"""The governance records around a model version: the tier policy it is judged by,
signed decisions, the approval that took effect, findings, conditions, fairness
exceptions, the uploaded validation report, and outgoing webhooks.

Rows are written only by ``services``; every write has its audit event.
"""

from django.conf import settings
from django.db import models

from registry.models import Blob, ModelVersion, RegisteredModel, RiskTier


class TierPolicy(models.Model):
    """What a tier demands before approval. Never edited in place: a change is a new
    revision, so every decision names the exact rules it was taken under."""

    tier = models.PositiveSmallIntegerField(choices=RiskTier.choices)
    revision = models.PositiveIntegerField()
    required_evidence = models.JSONField(
        default=list, help_text="evidence kinds that must have succeeded on this version")
    requires_validation_report = models.BooleanField(default=False)
    requires_validation_signoff = models.BooleanField(
        default=False, help_text="approvers may sign only after the validator has signed "
                                 "'validation complete' with a favourable opinion")
    approvals_required = models.PositiveSmallIntegerField(default=1)
    risk_officer_must_approve = models.BooleanField(default=False)
    owner_excluded = models.BooleanField(
        default=False, help_text="the model's owner may neither approve nor deploy its own "
                                 "model's versions (on by default for tiers 1 and 2)")
    four_fifths_min = models.FloatField(
        null=True, blank=True,
        help_text="lowest allowed ratio of a group's approval rate to the most favoured "
                  "group's (0.8 = the four-fifths rule); empty = not checked")
    equal_opportunity_max_difference = models.FloatField(
        null=True, blank=True, help_text="largest allowed gap in true-positive rates")
    revalidation_months = models.PositiveSmallIntegerField(default=12)
    grace_days = models.PositiveSmallIntegerField(default=30)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed, awaiting a second risk officer"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    # Maker-checker: a revision proposed by one risk officer takes effect once a second one
    # approves it, at its effective date if one was stated. Installation defaults are in force.
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.APPROVED)
    effective_at = models.DateTimeField(null=True, blank=True,
                                        help_text="in force from (empty: once approved)")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, help_text="the checker's reason")

    class Meta:
        ordering = ["tier", "-revision"]
        constraints = [models.UniqueConstraint(fields=["tier", "revision"],
                                               name="policy_revision_per_tier")]

    def __str__(self):
        return f"Tier {self.tier} policy r{self.revision}"


class ServerSealed(models.Model):
    """A record the server signs (``integrity``): the hash of the audit event that created
    it, and an HMAC under a server key over its content and that hash. Empty on records
    made before signing existed, until ``manage.py seal_legacy_records``."""

    event_hash = models.CharField(max_length=64, blank=True, db_index=True,
                                  help_text="hash of the audit event that created it")
    signature_key_id = models.CharField(max_length=64, blank=True)
    server_signature = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True


class Decision(ServerSealed):
    """A signature: who decided what about which exact artifact and evidence, meaning what."""

    class Kind(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        REQUEST_CHANGES = "request_changes", "Request changes"

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="decisions")
    round = models.PositiveIntegerField(help_text="the submission this decision answers")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    signer_name = models.CharField(max_length=200, help_text="frozen at signing")
    capacity = models.CharField(max_length=40, help_text="the role the signer signed in")
    meaning = models.CharField(max_length=300)
    reason = models.TextField()
    artifact_sha256 = models.CharField(max_length=64)
    evidence = models.JSONField(default=dict,
                                help_text="kind -> run id, input hashes, result sha256")
    policy = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "round", "signer"],
                                               name="one_signature_per_person_per_round")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.version} by {self.signer_name}"


class ValidationSignOff(ServerSealed):
    """The validator's record: what was validated, how far, and the opinion, signed
    'validation complete' with a password re-entry like a decision."""

    class Type(models.TextChoices):
        INITIAL = "initial", "Initial validation"
        PERIODIC = "periodic", "Periodic revalidation"
        CHANGE = "change", "Validation of a change"

    class Opinion(models.TextChoices):
        FIT = "fit", "Fit for purpose"
        FIT_WITH_CONDITIONS = "fit_with_conditions", "Fit for purpose with conditions"
        NOT_FIT = "not_fit", "Not fit for purpose"

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT,
                                related_name="signoffs")
    round = models.PositiveIntegerField(help_text="the submission this sign-off answers")
    validation_type = models.CharField(max_length=12, choices=Type.choices)
    scope = models.TextField(help_text="what was validated and what was not")
    opinion = models.CharField(max_length=24, choices=Opinion.choices)
    rationale = models.TextField()
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    signer_name = models.CharField(max_length=200, help_text="frozen at signing")
    artifact_sha256 = models.CharField(max_length=64)
    evidence = models.JSONField(default=dict, help_text="what the validator signed over, "
                                                        "bound like a decision's evidence")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["version", "round"],
                                               name="one_signoff_per_round")]

    def __str__(self):
        return f"{self.get_opinion_display()}: {self.version} by {self.signer_name}"

    @property
    def favourable(self) -> bool:
        return self.opinion != self.Opinion.NOT_FIT

    @property
    def validator_name(self) -> str:  # as the audit pack names the signer
        return self.signer_name


class Approval(ServerSealed):
    """The approval that took effect when the last required signature arrived."""

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="approvals")
    round = models.PositiveIntegerField()
    policy = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="revalidation due")
    grace_until = models.DateTimeField(help_text="after this the deploy gate is red")
    artifact_sha256 = models.CharField(max_length=64)
    evidence = models.JSONField(default=dict)
    decisions = models.ManyToManyField(Decision, related_name="+")

    class Meta:
        ordering = ["-approved_at"]
        constraints = [models.UniqueConstraint(fields=["version", "round"],
                                               name="one_approval_per_round")]

    def __str__(self):
        return f"Approval of {self.version} ({self.approved_at:%Y-%m-%d})"


class Condition(models.Model):
    """A condition of use or a post-model adjustment (overlay) that comes with approval."""

    class Kind(models.TextChoices):
        CONDITION = "condition", "Condition of use"
        OVERLAY = "overlay", "Post-model adjustment (overlay)"

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT,
                                related_name="conditions")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="conditions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"


class Finding(models.Model):
    class Severity(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REMEDIATED = "remediated", "Remediated"
        RISK_ACCEPTED = "risk_accepted", "Risk accepted"

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="findings")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    title = models.CharField(max_length=200)
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", help_text="who must remediate")
    due_date = models.DateField()
    remediation = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True, help_text="remediation evidence or the "
                                                          "risk acceptance's justification")

    class Meta:
        ordering = ["status", "severity", "due_date"]

    def __str__(self):
        return f"{self.get_severity_display()}: {self.title}"


class FairnessException(models.Model):
    """A risk officer's written acceptance of one failing fairness check of one version."""

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT,
                                related_name="fairness_exceptions")
    check_name = models.CharField(max_length=200, help_text="as the fairness gate names it")
    justification = models.TextField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "check_name"],
                                               name="one_exception_per_check")]

    def __str__(self):
        return f"Exception for {self.check_name} on {self.version}"


class ProxyFeature(models.Model):
    """A model input its owner (or a risk officer) declares a proxy for a protected
    attribute (a postcode for ethnicity): the fair-lending check treats it as protected."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT,
                              related_name="proxy_features")
    feature = models.CharField(max_length=200)
    reason = models.TextField()
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["feature"]
        constraints = [models.UniqueConstraint(fields=["model", "feature"],
                                               name="one_proxy_mark_per_feature")]

    def __str__(self):
        return f"{self.feature} (proxy) in {self.model}"


class ValidationReport(models.Model):
    """The validator's report (PDF), stored content-addressed like artifacts."""

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT,
                                related_name="validation_reports")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.filename


class WebhookEndpoint(models.Model):
    """Where decisions are POSTed for CI/CD, signed with HMAC-SHA256 of the body."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128, help_text="shared HMAC key; the receiver "
                                                        "needs it in clear, so it is not hashed")
    events = models.JSONField(default=list, help_text="event names; empty = all")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.name} ({self.url})"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.event} to {self.endpoint.name}: {self.status}"
