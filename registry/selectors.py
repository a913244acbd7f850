"""Reads of the registry, shaped for the pages and endpoints that use them."""

import hmac
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from audit.selectors import events_for_target
from registry.models import ApiToken, Dataset, ModelVersion, RegisteredModel, VersionTag


@dataclass(frozen=True)
class InventoryFilters:
    text: str = ""
    tier: int | None = None
    status: str = ""
    owner: str = ""
    overdue: bool = False


_V = ModelVersion.Status
# Statuses a version reaches only through an approval.
_LIVE = [_V.APPROVED, _V.DEPLOYED]
_WAS_APPROVED = [_V.APPROVED, _V.DEPLOYED, _V.HALTED, _V.ROLLED_BACK, _V.RETIRED]


def _with_approval_counts(models: QuerySet[RegisteredModel]) -> QuerySet[RegisteredModel]:
    return models.annotate(
        live_versions=Count("versions", filter=Q(versions__status__in=_LIVE), distinct=True),
        approved_versions=Count("versions", filter=Q(versions__status__in=_WAS_APPROVED),
                                distinct=True))


def completeness_gaps(model: RegisteredModel) -> list[str]:
    """What the inventory record lacks for a model-risk review (SR 11-7 inventory
    expectations). Uses the counts ``inventory()`` annotates, or queries them."""
    if not hasattr(model, "live_versions"):
        counted = _with_approval_counts(RegisteredModel.objects.filter(pk=model.pk)).values(
            "live_versions", "approved_versions").first() or {}
        model.live_versions = counted.get("live_versions", 0)
        model.approved_versions = counted.get("approved_versions", 0)
    gaps = []
    if model.status == RegisteredModel.Status.IN_PRODUCTION and not model.live_versions:
        gaps.append("In production without an approved version")
    if model.validator_id is None and model.status != RegisteredModel.Status.RETIRED:
        gaps.append("No validator assigned")
    for name, label in (("limitations", "limitations"), ("inputs", "inputs"),
                        ("outputs", "outputs")):
        if not getattr(model, name).strip():
            gaps.append(f"Missing {label}")
    if model.next_review_date and not model.approved_versions:
        gaps.append("Review date set but never approved")
    return gaps


def inventory(filters: InventoryFilters | None = None) -> QuerySet[RegisteredModel]:
    filters = filters or InventoryFilters()
    models = _with_approval_counts(
        RegisteredModel.objects.select_related("owner", "developer", "validator").annotate(
            version_count=Count("versions", distinct=True),
            latest_version=Max("versions__number"))).order_by("name")
    if filters.text:
        models = models.filter(Q(name__icontains=filters.text) | Q(slug__icontains=filters.text)
                               | Q(purpose__icontains=filters.text))
    if filters.tier:
        models = models.filter(risk_tier=filters.tier)
    if filters.status:
        models = models.filter(status=filters.status)
    if filters.owner:
        models = models.filter(owner__username=filters.owner)
    if filters.overdue:
        models = overdue_models(models)
    return models


def overdue_models(models: QuerySet[RegisteredModel] | None = None) -> QuerySet[RegisteredModel]:
    models = models if models is not None else RegisteredModel.objects.all()
    return models.filter(next_review_date__lt=timezone.localdate()).exclude(
        status=RegisteredModel.Status.RETIRED)


def model_by_slug(slug: str) -> RegisteredModel | None:
    return RegisteredModel.objects.select_related("owner", "developer", "validator").filter(
        slug=slug).first()


def versions_of(model: RegisteredModel, tag: str = "") -> QuerySet[ModelVersion]:
    # No join to the model: callers already hold it (version_document takes it).
    versions = (ModelVersion.objects.filter(model=model)
                .select_related("artifact", "registered_by")
                .prefetch_related(Prefetch("tags", queryset=VersionTag.objects.all(),
                                           to_attr="tag_list"))
                .order_by("-number"))
    if tag:
        versions = versions.filter(tags__name=tag)
    return versions


def version_of(model: RegisteredModel, number: int) -> ModelVersion | None:
    return versions_of(model).select_related("training_dataset", "validation_dataset").filter(
        number=number).first()


def model_timeline(model: RegisteredModel, limit: int = 200, until=None):
    """Audit events of the model and of its versions, newest first (up to ``until``)."""
    version_ids = [str(pk) for pk in model.versions.values_list("pk", flat=True)]
    events = events_for_target("registry.registeredmodel", [str(model.pk)]) | events_for_target(
        "registry.modelversion", version_ids)
    if until is not None:
        events = events.filter(timestamp__lte=until)
    return events.order_by("-sequence")[:limit]


def datasets() -> QuerySet[Dataset]:
    return Dataset.objects.select_related("blob", "created_by")


def dataset_by_id(dataset_id: int) -> Dataset | None:
    return datasets().filter(pk=dataset_id).first()


def datasets_of_models(models, uploaded_by) -> QuerySet[Dataset]:
    """What a token limited to ``models`` may read: the datasets those models' versions
    were trained or validated on, and the datasets its own user uploaded."""
    versions = ModelVersion.objects.filter(model__in=models)
    return datasets().filter(
        Q(pk__in=versions.values("training_dataset")) |
        Q(pk__in=versions.values("validation_dataset")) | Q(created_by=uploaded_by))


def active_token(prefix: str, secret_hash: str) -> ApiToken | None:
    token = (ApiToken.objects.select_related("user").prefetch_related("restricted_to")
             .filter(prefix=prefix).first())
    if token is None or not hmac.compare_digest(token.secret_hash, secret_hash):
        return None
    return token



def model_owners():
    return get_user_model().objects.filter(owned_models__isnull=False).distinct().order_by(
        "username")
