"""Typed parsers for settings read from environment variables.

Each parser raises ``ImproperlyConfigured`` naming the variable, so a typo in a
deployment fails at start-up instead of silently falling back to a default.
"""

import os
import re
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2,
               "g": 1024**3, "gb": 1024**3}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_size(raw: str) -> int:
    """'512MB' -> 536870912. Units are binary (1 MB = 1024 KB)."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", raw)
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"not a size: {raw!r} (use e.g. 512MB, 2GB, 1048576)")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def env_size(name: str, default: str) -> int:
    raw = os.environ.get(name, default)
    try:
        return parse_size(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


def parse_duration(raw: str) -> timedelta:
    """'90d' -> timedelta(days=90); units s, m, h, d, w."""
    match = _DURATION.match(raw)
    if not match:
        raise ValueError(f"not a duration: {raw!r} (use e.g. 30m, 12h, 90d, 2w)")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})


def env_keyring(name: str) -> list[tuple[str, str]]:
    """'k2:secret2,k1:secret1' -> [('k2', 'secret2'), ('k1', 'secret1')], current first."""
    raw = os.environ.get(name, "")
    keys = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key_id, sep, secret = item.partition(":")
        if not sep or not key_id.strip() or len(secret) < 32:
            raise ImproperlyConfigured(
                f"{name} must be 'id:secret' pairs separated by commas, each secret at least "
                f"32 characters (got an entry for {key_id.strip()!r})")
        keys.append((key_id.strip(), secret))
    if len({key_id for key_id, _ in keys}) != len(keys):
        raise ImproperlyConfigured(f"{name} names the same key id twice")
    return keys


MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_DISTINCT = 5


def weak_secret_key(key: str) -> str | None:
    """Why ``key`` may not sign sessions and derive server keys, or None when it may
    (Django's own deployment check uses the same thresholds)."""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"{len(key)} characters, at least {MIN_SECRET_KEY_LENGTH} are needed"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return (f"{len(set(key))} distinct characters, at least {MIN_SECRET_KEY_DISTINCT} "
                "are needed")
    if key.startswith("django-insecure"):
        return "it is Django's generated development key"
    return None
