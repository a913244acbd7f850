from django.conf import settings
from django.db import models


class RiskTier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 (high)"
    TIER_2 = 2, "Tier 2 (medium)"
    TIER_3 = 3, "Tier 3 (low)"


class RegulatoryScope(models.TextChoices):
    FAIR_LENDING = "fair_lending", "Fair lending (ECOA / Reg B)"
    EU_AI_ACT_HIGH_RISK = "eu_ai_act_high_risk", "EU AI Act high-risk"
    SR_11_7 = "sr_11_7", "SR 11-7"
    PRA_SS1_23 = "pra_ss1_23", "PRA SS1/23"
    CAPITAL = "capital", "Regulatory capital (IRB)"
    GDPR_ART_22 = "gdpr_art_22", "GDPR Art. 22 automated decisions"


class RegisteredModel(models.Model):
    """One entry of the model inventory (SR 11-7 / PRA SS1/23)."""

    class Status(models.TextChoices):
        IN_DEVELOPMENT = "in_development", "In development"
        IN_VALIDATION = "in_validation", "In validation"
        APPROVED = "approved", "Approved"
        IN_PRODUCTION = "in_production", "In production"
        HALTED = "halted", "Halted"
        RETIRED = "retired", "Retired"

    class Origin(models.TextChoices):
        IN_HOUSE = "in_house", "In-house"
        VENDOR = "vendor", "Vendor"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    purpose = models.TextField()
    business_use = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="owned_models")
    developer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="developed_models")
    validator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="validated_models")
    ci_accounts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="registrable_models",
        help_text="Service accounts allowed to register versions of this model.")
    risk_tier = models.PositiveSmallIntegerField(choices=RiskTier.choices)
    tier_rationale = models.TextField()
    regulatory_scope = models.JSONField(default=list, blank=True)
    inputs = models.TextField(blank=True)
    outputs = models.TextField(blank=True)
    limitations = models.TextField(blank=True)
    restrictions_on_use = models.TextField(blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.IN_HOUSE)
    vendor_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.IN_DEVELOPMENT, db_index=True)
    next_review_date = models.DateField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def regulatory_scope_labels(self) -> list[str]:
        labels = dict(RegulatoryScope.choices)
        return [labels.get(code, code) for code in self.regulatory_scope]


class Blob(models.Model):
    """Content-addressed bytes in the blob storage; the sha256 is the identity."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    storage_name = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    integrity = models.CharField(max_length=16, default="unchecked",
                                 help_text="outcome of the last re-hash by a worker")
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"sha256:{self.sha256[:12]}"


class Dataset(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        PARQUET = "parquet", "Parquet"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="datasets")
    format = models.CharField(max_length=16, choices=Format.choices)
    row_count = models.PositiveBigIntegerField()
    columns = models.JSONField(help_text="[{name, dtype, role}] in file order")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["name", "blob"],
                                               name="dataset_unique_name_content")]

    def __str__(self):
        return f"{self.name} ({self.blob})"


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_VALIDATION = "in_validation", "In validation"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        DEPLOYED = "deployed", "Deployed"
        HALTED = "halted", "Halted"
        ROLLED_BACK = "rolled_back", "Rolled back"
        RETIRED = "retired", "Retired"

    class ArtifactFormat(models.TextChoices):
        XGBOOST_JSON = "xgboost_json", "XGBoost JSON"
        XGBOOST_UBJ = "xgboost_ubj", "XGBoost UBJSON"
        LIGHTGBM_TEXT = "lightgbm_text", "LightGBM text"
        SKOPS = "skops", "scikit-learn (skops)"
        ONNX = "onnx", "ONNX"

    model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    artifact = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="versions")
    artifact_format = models.CharField(max_length=20, choices=ArtifactFormat.choices)
    framework = models.CharField(max_length=50)
    framework_version = models.CharField(max_length=50, blank=True)
    feature_names = models.JSONField(default=list)
    feature_types = models.JSONField(default=list)
    training_dataset = models.ForeignKey(Dataset, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    validation_dataset = models.ForeignKey(Dataset, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    git_commit = models.CharField(max_length=64, blank=True)
    ci_run_url = models.URLField(max_length=500, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    # NULL, not "", when absent: the per-model unique constraint must ignore it.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True,
        help_text="sha256 of the registration request (artifact and metadata): a retry with "
                  "the same Idempotency-Key must send the same request")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      related_name="+")
    # The people who built and submitted this version, frozen when they acted: changing
    # the inventory entry later does not lift their separation-of-duties restrictions.
    developer_at_registration = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text="the model's developer when the version was registered")
    developer_at_submission = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text="the model's developer when the version was last submitted")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     help_text="who last submitted it for validation")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="version_number_per_model"),
            models.UniqueConstraint(fields=["model", "idempotency_key"],
                                    name="version_idempotency_key_per_model"),
            models.UniqueConstraint(fields=["model", "artifact"],
                                    name="version_artifact_once_per_model"),
        ]

    def __str__(self):
        return f"{self.model.slug} v{self.number}"


class VersionTag(models.Model):
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"],
                                               name="tag_once_per_version")]
        indexes = [models.Index(fields=["name", "version"])]

    def __str__(self):
        return self.name


class ApiToken(models.Model):
    """A bearer token for CI and scripts. Only the sha256 of the secret is kept."""

    class Scope(models.TextChoices):
        READ = "read", "Read the inventory"
        REGISTER = "register", "Register versions and datasets"
        MANAGE = "manage", "Create and edit inventory entries"
        OPERATE = "operate", "Move versions: submit, deploy, halt, roll back, retire"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    restricted_to = models.ManyToManyField(RegisteredModel, blank=True, related_name="+",
                                    help_text="If set, the token works for these models only.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…) for {self.user}"
