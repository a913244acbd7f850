"""Refusals of the workflow, as RFC 9457 problems."""

from registry.errors import RegistryError


class TransitionNotAllowed(RegistryError):
    """See 'allowed_actions' for what the version's current status permits."""

    problem_type = "transition-not-allowed"
    title = "This action is not possible in the version's current status"
    status = 409


class SeparationOfDuties(RegistryError):
    """Another person must take this step: see 'rule' for the separation-of-duties rule."""

    problem_type = "separation-of-duties"
    title = "Separation of duties forbids you to take this step"
    status = 403
