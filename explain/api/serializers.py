from django.urls import reverse
from rest_framework import serializers

from explain.models import EvidenceRun
from explain.recipes import DEFAULTS


class EvidenceRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvidenceRun.Kind.choices)
    dataset = serializers.IntegerField(required=False, help_text=(
        "Dataset id; default: the version's validation dataset, else its training dataset."))
    reference_dataset = serializers.IntegerField(required=False, help_text=(
        "Drift baseline / SHAP background; default: the version's training dataset."))
    recipe = serializers.DictField(required=False, default=dict, help_text=(
        "Overrides of the kind's default recipe: " + "; ".join(
            f"{kind}: {', '.join(params)}" for kind, params in DEFAULTS.items())))


def _dataset(dataset):
    if dataset is None:
        return None
    return {"id": dataset.pk, "name": dataset.name, "sha256": dataset.blob.sha256,
            "rows": dataset.row_count}


class EvidenceRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()
    model = serializers.CharField(source="version.model.slug")
    version_number = serializers.IntegerField(source="version.number")
    dataset = serializers.SerializerMethodField()
    reference_dataset = serializers.SerializerMethodField()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceRun
        fields = ["id", "url", "page", "model", "version", "version_number", "kind", "status",
                  "progress", "stage", "attempts", "chunks_total", "chunks_done", "dataset",
                  "reference_dataset", "input_hashes", "recipe", "fingerprint", "trigger",
                  "requested_by", "created_at", "dispatched_at", "started_at", "heartbeat_at",
                  "finished_at", "worker_host", "device", "library_versions", "timings",
                  "error", "result_url", "summary"]

    def get_url(self, run) -> str:
        return reverse("api-evidence-run", args=[run.pk])

    def get_page(self, run) -> str:
        return reverse("evidence-run", args=[run.pk])

    def get_dataset(self, run) -> dict:
        return _dataset(run.dataset)

    def get_reference_dataset(self, run) -> dict | None:
        return _dataset(run.reference_dataset)

    def get_result_url(self, run) -> str | None:
        return reverse("api-evidence-run-rows", args=[run.pk]) if run.result_blob_id else None


class EvidenceRunListSerializer(EvidenceRunSerializer):
    class Meta(EvidenceRunSerializer.Meta):
        fields = [f for f in EvidenceRunSerializer.Meta.fields if f != "summary"]


class ReasonTextsSerializer(serializers.Serializer):
    texts = serializers.DictField(child=serializers.CharField(max_length=300), help_text=(
        "feature -> the reason an applicant reads, e.g. {\"credit_amount\": \"Requested "
        "amount is high\"}"))
    excluded = serializers.ListField(child=serializers.CharField(max_length=200),
                                     required=False, default=list,
                                     help_text="features never given as reasons")
    reason = serializers.CharField(required=False, default="", allow_blank=True)
