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


class GateFailed(RegistryError):
    """See 'checks' for each failing gate; fix the evidence, close the findings, or (fairness) ask a risk officer for an exception."""

    problem_type = "gate-failed"
    title = "The version does not meet its tier policy"
    status = 409


class SignatureRefused(RegistryError):
    """Re-enter your own password; a signature also needs a reason and its meaning."""

    problem_type = "signature-refused"
    title = "The signature could not be accepted"
    status = 403


class SignatureThrottled(RegistryError):
    """Too many wrong signature passwords in a row (ASSAY_SIGNATURE_FAILURES_PER_ACCOUNT within ASSAY_LOCKOUT_SECONDS); wait, then sign again."""

    problem_type = "signature-throttled"
    title = "Too many wrong signature passwords"
    status = 429


class NotDeployable(RegistryError):
    """See 'reasons' for machine-readable codes: not_approved, expired, halted, model_halted, rolled_back, retired, gate_failed, approval_invalidated, approval_unverified (the approval in the audit trail is not backed by server-signed, agreeing decision and approval records), no_approved_version."""

    problem_type = "not-deployable"
    title = "This may not be deployed"
    status = 409


class InvalidWorkflowInput(RegistryError):
    """See 'field' for the value to fix."""

    problem_type = "invalid-workflow-input"
    title = "A field is missing or invalid"
    status = 422
