"""Every write of the registry: validate, write, audit, in one transaction."""

import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.chain import canonical_json
from audit.services import record_event
from audit.snapshots import changed_fields, snapshot
from registry.artifacts import ArtifactInfo, inspect_artifact
from registry.blobs import blob_transaction, restore_blob_file, sha256_hex, store_blob
from registry.errors import (
    ArtifactFormatMismatch,
    DatasetSchemaMismatch,
    DerivedFieldNotWritable,
    DuplicateModel,
    FeatureNamesMissing,
    IdempotencyConflict,
    PayloadTooLarge,
    RoleConflict,
    UnknownReference,
)
from registry.models import ApiToken, Dataset, ModelVersion, RegisteredModel, VersionTag
from registry.roles import RISK_OFFICER, has_role
from registry.signals import model_people_changed, version_registered
from registry.tabular import profile_dataset

TOKEN_PREFIX = "assay"  # noqa: S105 - the public marker in front of every token
_LAST_USED_RESOLUTION = timedelta(minutes=1)


# ---- inventory -----------------------------------------------------------------------------

def _user_by_username(username: str | None, role: str):
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise UnknownReference(f"No active user {username!r} for {role}.",
                               field=role) from None


# Fields that follow from the versions and their approvals (the workflow keeps them):
# only a risk officer may override them, with a reason.
DERIVED_FIELDS = ("status", "next_review_date")
PEOPLE = ("owner", "developer", "validator")


def _may_override_derived_fields(actor) -> bool:
    return actor is None or actor.is_superuser or has_role(actor, RISK_OFFICER)


def _check_derived_fields(actor, changed: list[str], reason: str) -> None:
    if not changed:
        return
    names = " and ".join(changed)
    if not _may_override_derived_fields(actor):
        raise DerivedFieldNotWritable(
            f"{names} follow(s) from the model's versions and approvals and may not be set; "
            "a risk officer may override, with a reason.", field=changed[0])
    if not reason.strip():
        raise DerivedFieldNotWritable(f"Overriding {names} needs a reason (it is audited).",
                                      field="reason")


def _check_people(model: RegisteredModel) -> None:
    if model.validator_id and model.validator_id == model.developer_id:
        raise RoleConflict(f"{model.validator.get_username()} cannot validate a model they "
                           "develop: choose an independent validator.", field="validator")


def _record_override(actor, model: RegisteredModel, before: dict, changed: list[str],
                     reason: str) -> None:
    if changed:
        record_event(actor=actor, action="model.derived_fields_overridden", target=model,
                     before={name: before.get(name) for name in changed},
                     after={name: getattr(model, name) for name in changed}, reason=reason)


def create_model(*, actor, fields: dict, ci_accounts: list[str] = (),
                 reason: str = "") -> RegisteredModel:
    """``fields`` are RegisteredModel fields, with owner/developer/validator as usernames."""
    values = dict(fields)
    for role in PEOPLE:
        if role in values:
            values[role] = _user_by_username(values[role], role)
    values.setdefault("owner", actor)
    defaults = {"status": RegisteredModel.Status.IN_DEVELOPMENT, "next_review_date": None}
    overridden = [name for name in DERIVED_FIELDS
                  if name in values and values[name] != defaults[name]]
    _check_derived_fields(actor, overridden, reason)
    accounts = [_user_by_username(name, "ci_accounts") for name in ci_accounts]
    with transaction.atomic():
        if RegisteredModel.objects.filter(slug=values["slug"]).exists():
            raise DuplicateModel(f"A model with slug {values['slug']!r} already exists.")
        model = RegisteredModel(**values)
        _check_people(model)
        try:
            with transaction.atomic():
                model.save()
        except IntegrityError:
            raise DuplicateModel(f"A model with slug {values['slug']!r} already exists.") from None
        model.ci_accounts.set(accounts)
        after = snapshot(model) | {"ci_accounts": sorted(a.username for a in accounts)}
        record_event(actor=actor, action="model.created", target=model, after=after,
                     reason=reason)
        _record_override(actor, model, defaults, overridden, reason)
    return model


def update_model(*, actor, model: RegisteredModel, changes: dict, reason: str = "",
                 ci_accounts: list[str] | None = None) -> RegisteredModel:
    """Change an inventory entry. status and next_review_date are derived (risk officers
    may override with a reason); a change of owner, developer or validator restarts the
    reviews under way (``model_people_changed``)."""
    with transaction.atomic():
        model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
        before = snapshot(model) | {"ci_accounts": sorted(
            model.ci_accounts.values_list("username", flat=True))}
        derived_before = {name: getattr(model, name) for name in DERIVED_FIELDS}
        people_before = {role: getattr(model, f"{role}_id") for role in PEOPLE}
        for name, value in changes.items():
            if name in PEOPLE:
                value = _user_by_username(value, name)
            setattr(model, name, value)
        overridden = [name for name in DERIVED_FIELDS
                      if name in changes and getattr(model, name) != derived_before[name]]
        _check_derived_fields(actor, overridden, reason)
        _check_people(model)
        model.save()
        if ci_accounts is not None:
            model.ci_accounts.set([_user_by_username(n, "ci_accounts") for n in ci_accounts])
        after = snapshot(model) | {"ci_accounts": sorted(
            model.ci_accounts.values_list("username", flat=True))}
        old, new = changed_fields(before, after)
        old.pop("updated_at", None)
        new.pop("updated_at", None)
        if new:
            record_event(actor=actor, action="model.updated", target=model, before=old,
                         after=new, reason=reason)
        _record_override(actor, model, derived_before, overridden, reason)
        changed_people = [role for role in PEOPLE
                          if getattr(model, f"{role}_id") != people_before[role]]
        if changed_people:
            model_people_changed.send(sender=RegisteredModel, model=model, actor=actor,
                                      changed=changed_people, reason=reason)
    return model


def _refuse_oversized(data: bytes, max_bytes: int, what: str) -> None:
    """Services enforce the limit too, for callers that do not come through HTTP."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The {what} is {len(data)} bytes; the limit is {max_bytes}.",
                              limit=max_bytes)


# ---- datasets ------------------------------------------------------------------------------

def upload_dataset(*, actor, data: bytes, filename: str, name: str, roles: dict,
                   description: str = "", max_bytes: int) -> tuple[Dataset, bool]:
    _refuse_oversized(data, max_bytes, "dataset")
    profile = profile_dataset(data, filename, roles)
    with blob_transaction():
        blob = store_blob(data)
        existing = Dataset.objects.filter(name=name, blob=blob).first()
        if existing:
            return existing, False
        dataset = Dataset.objects.create(
            name=name, description=description, blob=blob, format=profile.format,
            row_count=profile.row_count, columns=profile.columns, created_by=actor)
        record_event(actor=actor, action="dataset.uploaded", target=dataset,
                     after=snapshot(dataset) | {"sha256": blob.sha256, "size": blob.size})
    return dataset, True


# ---- versions ------------------------------------------------------------------------------

@dataclass
class VersionMetadata:
    artifact_format: str | None = None
    artifact_sha256: str | None = None  # if given, the upload must hash to it
    framework_version: str = ""
    feature_names: list[str] | None = None
    training_dataset: int | None = None
    validation_dataset: int | None = None
    git_commit: str = ""
    ci_run_url: str = ""
    metrics: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    description: str = ""


def _resolve_dataset(dataset_id: int | None, role: str, info: ArtifactInfo) -> Dataset | None:
    if dataset_id is None:
        return None
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        raise UnknownReference(f"{role} {dataset_id} does not exist; upload it first with "
                               "POST /api/v1/datasets/.", field=role)
    usable = {c["name"] for c in dataset.columns if c["role"] not in ("target", "id")}
    missing = [name for name in info.feature_names if name not in usable]
    if missing:
        raise DatasetSchemaMismatch(
            f"{role} {dataset_id} ({dataset.name}) lacks feature(s) the model needs: "
            f"{', '.join(missing[:20])}.", field=role, missing_columns=missing)
    return dataset


def registration_fingerprint(artifact_sha256: str, metadata: VersionMetadata) -> str:
    """What an Idempotency-Key stands for: the artifact and every metadata field."""
    return hashlib.sha256(canonical_json({"artifact_sha256": artifact_sha256,
                                          "metadata": asdict(metadata)}).encode()).hexdigest()


def register_version(*, actor, model: RegisteredModel, data: bytes, filename: str,
                     metadata: VersionMetadata, idempotency_key: str | None,
                     max_bytes: int) -> tuple[ModelVersion, bool]:
    """Register an artifact as the model's next version; (version, created).

    The same Idempotency-Key, or the same artifact bytes for the same model,
    returns the version registered before instead of a duplicate.
    """
    _refuse_oversized(data, max_bytes, "artifact")
    digest = sha256_hex(data)
    if metadata.artifact_sha256 and metadata.artifact_sha256 != digest:
        raise ArtifactFormatMismatch("The artifact's sha256 is not the artifact_sha256 given in "
                                     "metadata; the upload may be truncated.")
    info = inspect_artifact(data, filename, metadata.artifact_format)
    if metadata.feature_names:
        info = ArtifactInfo(info.format, info.framework, info.framework_version,
                            list(metadata.feature_names),
                            info.feature_types or ["float"] * len(metadata.feature_names))
    if not info.feature_names:
        raise FeatureNamesMissing(
            "Neither the artifact nor the metadata names the model's features, so datasets "
            "cannot be matched to its inputs; send feature_names in the metadata.",
            field="feature_names")
    with blob_transaction():
        # The row lock serialises registrations per model: numbers stay gap-free
        # and the duplicate checks below see every committed version.
        model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
        fingerprint = registration_fingerprint(digest, metadata)
        if idempotency_key:
            previous = model.versions.filter(idempotency_key=idempotency_key).select_related(
                "artifact").first()
            if previous:
                if previous.artifact.sha256 != digest:
                    raise IdempotencyConflict(
                        f"Idempotency-Key {idempotency_key!r} already registered v"
                        f"{previous.number} with a different artifact.",
                        version=previous.number)
                # Rows from before fingerprints were kept have none: the artifact decides.
                if previous.idempotency_fingerprint not in ("", fingerprint):
                    raise IdempotencyConflict(
                        f"Idempotency-Key {idempotency_key!r} already registered v"
                        f"{previous.number} with the same artifact but different metadata; "
                        "a retry must resend the same request.", version=previous.number)
                restore_blob_file(previous.artifact, data)
                return previous, False
        previous = model.versions.filter(artifact__sha256=digest).select_related(
            "artifact").first()
        if previous:
            restore_blob_file(previous.artifact, data)
            return previous, False
        training = _resolve_dataset(metadata.training_dataset, "training_dataset", info)
        validation = _resolve_dataset(metadata.validation_dataset, "validation_dataset", info)
        blob = store_blob(data, digest)
        number = (model.versions.aggregate(last=Max("number"))["last"] or 0) + 1
        version = ModelVersion.objects.create(
            model=model, number=number, artifact=blob, artifact_format=info.format,
            framework=info.framework,
            framework_version=metadata.framework_version or info.framework_version,
            feature_names=info.feature_names, feature_types=info.feature_types,
            training_dataset=training, validation_dataset=validation,
            git_commit=metadata.git_commit, ci_run_url=metadata.ci_run_url,
            metrics=metadata.metrics, params=metadata.params, description=metadata.description,
            idempotency_key=idempotency_key or None,
            idempotency_fingerprint=fingerprint if idempotency_key else "",
            registered_by=actor, developer_at_registration_id=model.developer_id)
        VersionTag.objects.bulk_create(
            [VersionTag(version=version, name=tag) for tag in dict.fromkeys(metadata.tags)])
        record_event(actor=actor, action="version.registered", target=version,
                     after=snapshot(version) | {"artifact_sha256": digest,
                                                "artifact_size": len(data),
                                                "tags": list(dict.fromkeys(metadata.tags))})
        version_registered.send(sender=ModelVersion, version=version, actor=actor)
    return version, True


# ---- API tokens ----------------------------------------------------------------------------

def hash_token_secret(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (as GitHub does):
    # no dictionary attack applies, and every API request verifies one.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(*, actor, user, name: str, scopes: list[str], lifetime: timedelta,
                     models: list[RegisteredModel] = ()) -> tuple[ApiToken, str]:
    """Create a token; returns (token, plaintext). The plaintext is never stored."""
    valid = set(ApiToken.Scope.values)
    unknown = [scope for scope in scopes if scope not in valid]
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(sorted(valid))}; got {scopes}")
    if lifetime <= timedelta(0):
        raise ValueError("a token's lifetime must be positive")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=prefix, secret_hash=hash_token_secret(secret),
            scopes=sorted(set(scopes)), expires_at=timezone.now() + lifetime)
        token.restricted_to.set(models)
        record_event(actor=actor, action="api_token.created", target=token,
                     after=snapshot(token, exclude=("secret_hash",))
                     | {"restricted_to": [m.slug for m in models]})
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def revoke_api_token(*, actor, token: ApiToken, reason: str = "") -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record_event(actor=actor, action="api_token.revoked", target=token,
                         after={"revoked_at": token.revoked_at}, reason=reason)
    return token


def note_token_use(token: ApiToken, ip: str | None) -> None:
    """Record last use, at most once a minute per token (not audited: not a change of state)."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < _LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
