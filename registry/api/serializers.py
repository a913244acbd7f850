from django.conf import settings
from rest_framework import serializers

from registry.api.parsers import FiniteFloatField, LimitedJSONField
from registry.models import Dataset, ModelVersion, RegisteredModel, RegulatoryScope, RiskTier

# Free text (purpose, rationale, description…); ASSAY_MAX_TEXT_CHARS.
TEXT = settings.ASSAY_MAX_TEXT_CHARS


class UsernameField(serializers.CharField):
    def to_representation(self, value):
        return value.get_username() if value is not None else None


class RegisteredModelSerializer(serializers.ModelSerializer):
    owner = UsernameField(read_only=True)
    developer = UsernameField(read_only=True)
    validator = UsernameField(read_only=True)
    ci_accounts = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = RegisteredModel
        fields = ["slug", "url", "name", "purpose", "business_use", "owner", "developer",
                  "validator", "ci_accounts", "risk_tier", "tier_rationale", "regulatory_scope",
                  "inputs", "outputs", "limitations", "restrictions_on_use", "origin",
                  "vendor_name", "status", "next_review_date", "created_at", "updated_at"]
        read_only_fields = fields

    def get_url(self, model) -> str:
        return f"/api/v1/models/{model.slug}/"


class ModelWriteSerializer(serializers.Serializer):
    """Inventory fields a client may set; people are given by username."""

    slug = serializers.SlugField(max_length=80)
    name = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=TEXT)
    business_use = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    owner = serializers.CharField(required=False, max_length=150, help_text="username; default: the caller")
    developer = serializers.CharField(required=False, allow_null=True, max_length=150)
    validator = serializers.CharField(required=False, allow_null=True, max_length=150)
    ci_accounts = serializers.ListField(child=serializers.CharField(max_length=150),
                                        required=False, max_length=100)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices)
    tier_rationale = serializers.CharField(max_length=TEXT)
    regulatory_scope = serializers.ListField(
        child=serializers.ChoiceField(choices=RegulatoryScope.choices), required=False)
    inputs = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    outputs = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    limitations = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    restrictions_on_use = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    origin = serializers.ChoiceField(choices=RegisteredModel.Origin.choices, required=False)
    vendor_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.ChoiceField(
        choices=RegisteredModel.Status.choices, required=False,
        help_text="derived from the versions: only a risk officer may override, with a reason")
    next_review_date = serializers.DateField(
        required=False, allow_null=True,
        help_text="derived from the approval: only a risk officer may override, with a reason")
    reason = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                   max_length=TEXT, help_text="why the change is made (audited)")

    def validate(self, attrs):
        if attrs.get("origin") == RegisteredModel.Origin.VENDOR and not attrs.get("vendor_name"):
            raise serializers.ValidationError({"vendor_name": "Name the vendor."})
        return attrs


class DatasetSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="blob.sha256", read_only=True)
    size = serializers.IntegerField(source="blob.size", read_only=True)
    created_by = UsernameField(read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "format", "sha256", "size", "row_count",
                  "columns", "created_by", "created_at"]
        read_only_fields = fields


class DatasetUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or Parquet")
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="",
                                        max_length=TEXT)
    roles = LimitedJSONField(
        help_text='e.g. {"target": "creditability", "protected": ["foreign_worker"], '
                  '"id": "applicant_id", "features": [...]} (features default to the rest)')


class VersionMetadataSerializer(serializers.Serializer):
    artifact_format = serializers.ChoiceField(choices=ModelVersion.ArtifactFormat.choices,
                                              required=False)
    artifact_sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$", required=False,
        help_text="if given, the upload must hash to it (guards against truncation)")
    framework_version = serializers.CharField(required=False, allow_blank=True, max_length=50)
    feature_names = serializers.ListField(child=serializers.CharField(max_length=1000),
                                          required=False, max_length=100_000)
    training_dataset = serializers.IntegerField(required=False, allow_null=True)
    validation_dataset = serializers.IntegerField(required=False, allow_null=True)
    git_commit = serializers.RegexField(r"^[0-9a-fA-F]{7,64}$", required=False,
                                        allow_blank=True)
    ci_run_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    metrics = serializers.DictField(child=FiniteFloatField(), required=False)
    params = serializers.DictField(required=False)
    tags = serializers.ListField(child=serializers.SlugField(max_length=100), required=False,
                                 max_length=50)
    description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)


class VersionUploadSerializer(serializers.Serializer):
    """The multipart body of a registration (documents the endpoint)."""

    artifact = serializers.FileField(help_text="XGBoost JSON/UBJ, LightGBM text, skops or ONNX")
    metadata = serializers.CharField(help_text="JSON object, see VersionMetadata")


class ArtifactSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class ModelVersionSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model.slug", read_only=True)
    artifact = ArtifactSerializer(read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    registered_by = UsernameField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = ["id", "model", "number", "url", "status", "artifact", "artifact_format", "framework",
                  "framework_version", "feature_names", "feature_types", "training_dataset",
                  "validation_dataset", "git_commit", "ci_run_url", "metrics", "params", "tags",
                  "description", "registered_by", "created_at"]
        read_only_fields = fields

    def get_url(self, version) -> str:
        return f"/api/v1/models/{version.model.slug}/versions/{version.number}/"


_DATETIME = serializers.DateTimeField()


def version_document(version: ModelVersion, model: RegisteredModel | None = None) -> dict:
    """The same document as ModelVersionSerializer, built without DRF's per-field
    machinery: listing 100 versions is the registry's hottest read. A test keeps the
    two identical; the serializer stays the schema's source of truth."""
    slug = (model or version.model).slug
    return {
        "id": version.pk,
        "model": slug,
        "number": version.number,
        "url": f"/api/v1/models/{slug}/versions/{version.number}/",
        "status": version.status,
        "artifact": {"sha256": version.artifact.sha256, "size": version.artifact.size},
        "artifact_format": version.artifact_format,
        "framework": version.framework,
        "framework_version": version.framework_version,
        "feature_names": version.feature_names,
        "feature_types": version.feature_types,
        "training_dataset": version.training_dataset_id,
        "validation_dataset": version.validation_dataset_id,
        "git_commit": version.git_commit,
        "ci_run_url": version.ci_run_url,
        "metrics": version.metrics,
        "params": version.params,
        "tags": [tag.name for tag in (version.tag_list if hasattr(version, "tag_list")
                                      else version.tags.all())],
        "description": version.description,
        "registered_by": version.registered_by.get_username(),
        "created_at": _DATETIME.to_representation(version.created_at),
    }
