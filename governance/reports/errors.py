"""Refusals of audit packs, as RFC 9457 problems."""

from registry.errors import RegistryError


class SigningKeyMissing(RegistryError):
    """An administrator runs `python manage.py create_signing_key` on the server (the private key stays in ASSAY_SIGNING_KEY_DIR)."""

    problem_type = "signing-key-missing"
    title = "No key can sign audit packs"
    status = 503
