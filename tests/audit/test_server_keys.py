import pytest
from django.core.exceptions import ImproperlyConfigured

from audit import keys
from governance.environment import env_keyring


def test_signature_verifies_under_its_key_and_purpose():
    key_id, signature = keys.sign(b"decision 7", purpose="decision")
    assert keys.verify(b"decision 7", purpose="decision", key_id=key_id, signature=signature)


def test_signature_fails_for_other_message_purpose_or_key():
    key_id, signature = keys.sign(b"decision 7", purpose="decision")
    assert not keys.verify(b"decision 8", purpose="decision", key_id=key_id, signature=signature)
    assert not keys.verify(b"decision 7", purpose="anchor", key_id=key_id, signature=signature)
    assert not keys.verify(b"decision 7", purpose="decision", key_id="gone", signature=signature)


def test_rotation_keeps_old_keys_for_verification(settings):
    settings.ASSAY_SERVER_KEYS = [("k1", "a" * 32)]
    key_id, signature = keys.sign(b"event", purpose="audit")
    settings.ASSAY_SERVER_KEYS = [("k2", "b" * 32), ("k1", "a" * 32)]
    assert keys.current_key().key_id == "k2"
    assert keys.verify(b"event", purpose="audit", key_id=key_id, signature=signature)


def test_keyring_setting_refuses_short_secrets(monkeypatch):
    monkeypatch.setenv("ASSAY_SERVER_KEYS", "k1:short")
    with pytest.raises(ImproperlyConfigured, match="32 characters"):
        env_keyring("ASSAY_SERVER_KEYS")


def test_keyring_setting_parses_current_first(monkeypatch):
    monkeypatch.setenv("ASSAY_SERVER_KEYS", f"k2:{'b' * 32}, k1:{'a' * 32}")
    assert [key_id for key_id, _ in env_keyring("ASSAY_SERVER_KEYS")] == ["k2", "k1"]
