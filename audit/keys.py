"""Server keys: secrets the database does not hold.

Keyed hashes and signatures made with these keys cannot be recomputed by
someone who can only write to the database (an insider with SQL access), so
records bound to them are tamper-evident against that insider too.

Keys come from ``ASSAY_SERVER_KEYS`` (``id:secret,id:secret``; the first is
current, the others are kept to verify what older keys signed). Without it the
key is derived from ``SECRET_KEY`` under the id ``derived-1`` (kept last in the
ring afterwards, so what it signed still verifies); ``check --deploy`` warns
about that in production (audit.W002).
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings

DERIVED_KEY_ID = "derived-1"


class UnknownServerKey(LookupError):
    """A record names a key id that this server no longer (or never) held."""


@dataclass(frozen=True)
class ServerKey:
    key_id: str
    secret: bytes


def keyring() -> list[ServerKey]:
    """The configured keys, current first."""
    configured = [ServerKey(key_id, secret.encode())
                  for key_id, secret in getattr(settings, "ASSAY_SERVER_KEYS", None) or []]
    derived = ServerKey(DERIVED_KEY_ID, hmac.new(settings.SECRET_KEY.encode(),
                                                 b"assay-server-key", hashlib.sha256).digest())
    # The derived key stays last, to verify what it signed before keys were configured.
    if any(key.key_id == DERIVED_KEY_ID for key in configured):
        return configured
    return [*configured, derived]


def current_key() -> ServerKey:
    return keyring()[0]


def key_by_id(key_id: str) -> ServerKey:
    for key in keyring():
        if key.key_id == key_id:
            return key
    raise UnknownServerKey(f"server key {key_id!r} is not configured")


def sign(message: bytes, *, purpose: str) -> tuple[str, str]:
    """(key id, hex HMAC-SHA256) of ``message`` under the current key.

    ``purpose`` separates domains, so a signature made for one kind of record
    never verifies as another's.
    """
    key = current_key()
    return key.key_id, _mac(key, purpose, message)


def sign_with(message: bytes, *, purpose: str, key_id: str) -> str:
    """Hex HMAC-SHA256 of ``message`` under the key ``key_id`` (to recompute a
    record's signature); raises ``UnknownServerKey`` if that key is not held."""
    return _mac(key_by_id(key_id), purpose, message)


def verify(message: bytes, *, purpose: str, key_id: str, signature: str) -> bool:
    try:
        key = key_by_id(key_id)
    except UnknownServerKey:
        return False
    return hmac.compare_digest(_mac(key, purpose, message), signature)


def _mac(key: ServerKey, purpose: str, message: bytes) -> str:
    return hmac.new(key.secret, purpose.encode() + b"\x00" + message, hashlib.sha256).hexdigest()
