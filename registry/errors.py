"""Domain errors of the registry. Each maps to one RFC 9457 problem type; the
API layer turns them into application/problem+json, the web layer into a
message next to the field."""


class RegistryError(Exception):
    problem_type = "registry-error"
    title = "The request could not be processed"
    status = 400

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class PickleRefused(RegistryError):
    """Loading a pickle runs arbitrary code. Save XGBoost as JSON/UBJ, LightGBM as text, scikit-learn with skops, or export to ONNX."""

    problem_type = "pickle-refused"
    title = "Pickle-based artifacts are refused"
    status = 415


class ArtifactFormatMismatch(RegistryError):
    """Declare the artifact_format the file really has, or leave it out to let Assay detect it; check artifact_sha256 if you sent one."""

    problem_type = "artifact-format-mismatch"
    title = "The artifact's content does not match its declared format"
    status = 422


class UnreadableArtifact(RegistryError):
    """Send a model saved by its framework's own save function, in one of the accepted formats."""

    problem_type = "unreadable-artifact"
    title = "The artifact could not be read"
    status = 422


class ExternalDataRefused(RegistryError):
    """Save the ONNX model with its tensors inside the file (onnx.save_model(model, path, save_as_external_data=False)); models that point at other files are refused, and the paths are never opened."""

    problem_type = "onnx-external-data"
    title = "The ONNX model refers to tensor data outside the file"
    status = 422


class PayloadTooLarge(RegistryError):
    """The limit is set by ASSAY_MAX_ARTIFACT_BYTES / ASSAY_MAX_DATASET_BYTES; nothing was stored."""

    problem_type = "payload-too-large"
    title = "The upload is larger than this server accepts"
    status = 413


class UploadTooLarge(RegistryError):
    """The file decodes to more rows, columns or bytes than this server inspects (see 'setting' and 'limit'): split the dataset, drop unused columns, or ask the operator to raise the limit."""

    problem_type = "upload-too-large-when-decoded"
    title = "The upload would decode to more than this server accepts"
    status = 413


class DatasetSchemaMismatch(RegistryError):
    """Make the declared roles name columns that exist, each in one role; see missing_columns."""

    problem_type = "dataset-schema-mismatch"
    title = "The dataset's columns do not match the declared roles"
    status = 422


class UnreadableDataset(RegistryError):
    """Upload a UTF-8 CSV with a header row, or a Parquet file."""

    problem_type = "unreadable-dataset"
    title = "The dataset could not be read"
    status = 422


class UnknownReference(RegistryError):
    """Create the user or upload the dataset first, then refer to it; see 'field'."""

    problem_type = "unknown-reference"
    title = "The request refers to something that does not exist"
    status = 422


class IdempotencyConflict(RegistryError):
    """Use a new Idempotency-Key for a new artifact; a retry must resend the same file."""

    problem_type = "idempotency-conflict"
    title = "This Idempotency-Key was already used for a different request"
    status = 409


class DuplicateModel(RegistryError):
    """Choose another slug, or PATCH the existing entry."""

    problem_type = "duplicate-model"
    title = "A model with this slug already exists"
    status = 409


class BlobCorrupted(RegistryError):
    """A stored file changed after upload; restore it from backup and report it to the auditors."""

    problem_type = "blob-corrupted"
    title = "A stored file no longer matches its recorded sha256"
    status = 500


class BlobMissing(BlobCorrupted):
    """A stored file is gone from the blob store; register the same bytes again (the file is restored) or restore it from backup."""

    problem_type = "blob-missing"
    title = "A stored file is missing from the blob store"


class StorageUnavailable(RegistryError):
    """The blob store could not be written; nothing was registered. Try again later; the operator should check ASSAY_STORAGE."""

    problem_type = "storage-unavailable"
    title = "The file store is unavailable"
    status = 503


class IncompleteUpload(RegistryError):
    """The client disconnected or sent less than its Content-Length; send the request again."""

    problem_type = "incomplete-upload"
    title = "The upload ended before all its bytes arrived"
    status = 400


class FeatureNamesMissing(RegistryError):
    """Send feature_names in the version's metadata, in the order of the model's input columns, or save the model with its feature names (train it on a DataFrame)."""

    problem_type = "feature-names-missing"
    title = "The model's features are not named"
    status = 422


class RoleConflict(RegistryError):
    """The model's validator must be independent of its development: choose another validator or developer (see 'field')."""

    problem_type = "role-conflict"
    title = "One person may not hold both of these roles on a model"
    status = 400


class DerivedFieldNotWritable(RegistryError):
    """status and next_review_date follow from the versions and their approvals; only a risk officer may override them, with a reason (audited)."""

    problem_type = "derived-field-not-writable"
    title = "This field is derived and may not be set"
    status = 400
