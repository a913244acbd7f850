"""Ed25519 keys that sign audit packs, by key id.

The private key of each id is a PEM file ``<ASSAY_SIGNING_KEY_DIR>/<key id>.pem``
(mode 0600, never in the database); its public key is a ``SigningKey`` row. Creating
a key retires the previous one for signing; retired keys still verify old packs.
"""

import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import record_event
from governance.reports.errors import SigningKeyMissing
from governance.reports.models import SigningKey
from registry.packfile import key_id, public_pem

__all__ = ["SigningKeyMissing", "active_key", "create_signing_key", "published_keys"]


def _key_path(kid: str) -> Path:
    return Path(settings.ASSAY_SIGNING_KEY_DIR) / f"{kid}.pem"


def create_signing_key(*, actor, reason: str = "") -> SigningKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    private_key = Ed25519PrivateKey.generate()
    kid = key_id(private_key.public_key())
    path = _key_path(kid)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    with transaction.atomic():
        retired = list(SigningKey.objects.filter(retired_at=None).values_list("key_id",
                                                                                flat=True))
        SigningKey.objects.filter(retired_at=None).update(retired_at=timezone.now())
        key = SigningKey.objects.create(key_id=kid,
                                        public_key_pem=public_pem(private_key.public_key()))
        record_event(actor=actor, action="signing_key.created", target=key,
                     after={"key_id": kid, "retired": retired}, reason=reason)
    return key


def active_key() -> tuple[SigningKey, object]:
    """(the signing key's row, its private key) for sealing a pack."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = SigningKey.objects.filter(retired_at=None).first()
    if key is None:
        raise SigningKeyMissing("No audit-pack signing key: run "
                                "`python manage.py create_signing_key`.")
    try:
        private_key = load_pem_private_key(_key_path(key.key_id).read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyMissing(f"The private key of {key.key_id} is not in "
                                f"{settings.ASSAY_SIGNING_KEY_DIR}.") from None
    if not isinstance(private_key, Ed25519PrivateKey) or \
            key_id(private_key.public_key()) != key.key_id:
        raise SigningKeyMissing(f"{_key_path(key.key_id)} does not hold key {key.key_id}.")
    return key, private_key


def published_keys():
    return SigningKey.objects.order_by("created_at", "id")
