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
    problem_type = "pickle-refused"
    title = "Pickle-based artifacts are refused"
    status = 415


class ArtifactFormatMismatch(RegistryError):
    problem_type = "artifact-format-mismatch"
    title = "The artifact's content does not match its declared format"
    status = 422


class UnreadableArtifact(RegistryError):
    problem_type = "unreadable-artifact"
    title = "The artifact could not be read"
    status = 422


class PayloadTooLarge(RegistryError):
    problem_type = "payload-too-large"
    title = "The upload is larger than this server accepts"
    status = 413


class DatasetSchemaMismatch(RegistryError):
    problem_type = "dataset-schema-mismatch"
    title = "The dataset's columns do not match the declared roles"
    status = 422


class UnreadableDataset(RegistryError):
    problem_type = "unreadable-dataset"
    title = "The dataset could not be read"
    status = 422


class UnknownReference(RegistryError):
    problem_type = "unknown-reference"
    title = "The request refers to something that does not exist"
    status = 422


class IdempotencyConflict(RegistryError):
    problem_type = "idempotency-conflict"
    title = "This Idempotency-Key was already used for a different request"
    status = 409


class DuplicateModel(RegistryError):
    problem_type = "duplicate-model"
    title = "A model with this slug already exists"
    status = 409


class BlobCorrupted(RegistryError):
    problem_type = "blob-corrupted"
    title = "A stored file no longer matches its recorded sha256"
    status = 500
