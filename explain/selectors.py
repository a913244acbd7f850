"""Reads of evidence runs for pages and endpoints."""

from django.db.models import QuerySet

from explain.charts import ChartContext
from explain.models import EvidenceRun
from explain.recipes import DEFAULT_THRESHOLD
from registry.models import ModelVersion


def runs() -> QuerySet[EvidenceRun]:
    return EvidenceRun.objects.select_related(
        "version__model", "dataset__blob", "reference_dataset__blob", "requested_by",
        "result_blob")


def runs_of_version(version: ModelVersion) -> QuerySet[EvidenceRun]:
    return runs().filter(version=version)


def run_by_id(run_id: int) -> EvidenceRun | None:
    return runs().filter(pk=run_id).first()


def latest_successful_runs(version: ModelVersion) -> dict[str, EvidenceRun]:
    """The newest succeeded run of each kind, for the version's evidence tabs."""
    latest: dict[str, EvidenceRun] = {}
    for run in runs_of_version(version).filter(status=EvidenceRun.Status.SUCCEEDED):
        latest.setdefault(run.kind, run)
    return latest


def version_by_id(version_id: int) -> ModelVersion | None:
    return ModelVersion.objects.select_related("model", "artifact", "training_dataset",
                                               "validation_dataset").filter(
        pk=version_id).first()


def chart_context(run: EvidenceRun) -> ChartContext:
    """The dataset's category labels and id column and the run's decision cut-off."""
    columns = run.dataset.columns
    threshold = run.recipe.get("threshold")
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        try:
            threshold = float(run.version.params.get("decision_threshold", DEFAULT_THRESHOLD))
        except (TypeError, ValueError):
            threshold = DEFAULT_THRESHOLD
    return ChartContext(
        categories={c["name"]: c["categories"] for c in columns if c.get("categories")},
        threshold=float(threshold),
        id_column=next((c["name"] for c in columns if c["role"] == "id"), None))
