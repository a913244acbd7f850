"""Errors of evidence runs. Request-time errors are RFC 9457 problems (they extend the
registry's base); run-time errors are stored on the run and shown in the UI and API."""

from registry.errors import RegistryError


class InvalidRecipe(RegistryError):
    """Correct the recipe parameter named in 'field'; GET the version's evidence-runs endpoint for the defaults."""

    problem_type = "invalid-recipe"
    title = "The evidence recipe is not valid"
    status = 400


class RunNotCancellable(RegistryError):
    """Only a queued or running evidence run can be cancelled."""

    problem_type = "run-not-cancellable"
    title = "This evidence run has already finished"
    status = 409


class EvidenceInputError(Exception):
    """The run's inputs cannot give trustworthy numbers (corrupt artifact, missing feature,
    one-class target...). The run fails with this message; retrying would not help."""


class RunCancelled(Exception):
    """Raised inside a worker between chunks or bootstrap batches once the run was
    cancelled (or taken over by a later attempt): the work stops, nothing is stored."""
