from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from registry.models import ApiToken
from registry.services import hash_token_secret, revoke_api_token
from tests.conftest import api_as, register, token_for


def _status(client, path="/api/v1/models/"):
    response = client.get(path)
    return response.status_code, response.json().get("detail", "")


def test_token_is_stored_hashed(ci):
    plaintext = token_for(ci, "read")
    token = ApiToken.objects.get()
    assert plaintext.split("_", 2)[2] not in str(ApiToken.objects.values().get())
    assert token.secret_hash == hash_token_secret(plaintext.split("_", 2)[2])


def test_no_token_is_401_with_challenge(db):
    response = APIClient().get("/api/v1/models/")
    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Bearer realm="assay"')


def test_wrong_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer assay_deadbeef_" + "x" * 43)
    assert _status(client)[0] == 401


def test_malformed_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer hunter2")
    assert _status(client) == (401, "Malformed bearer token.")


def test_expired_token_is_401(ci):
    client = api_as(ci, "read")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    status, detail = _status(client)
    assert status == 401 and "expired" in detail


def test_revoked_token_is_401(ci):
    client = api_as(ci, "read")
    revoke_api_token(actor=None, token=ApiToken.objects.get(), reason="leaked")
    assert _status(client) == (401, "This token was revoked.")


def test_wrong_scope_is_403(ci, credit_model, xgb_json):
    response = register(api_as(ci, "read"), "credit-pd", xgb_json)
    assert response.status_code == 403 and "register" in response.json()["detail"]


def test_token_restricted_to_other_model_is_403(ci, credit_model, other_model, xgb_json):
    client = api_as(ci, "register", models=[other_model])
    assert register(client, "credit-pd", xgb_json).status_code == 403


def test_last_use_is_recorded(ci):
    api_as(ci, "read").get("/api/v1/models/")
    assert ApiToken.objects.get().last_used_at is not None


def test_create_api_token_command_prints_token_once(ci, capsys):
    call_command("create_api_token", "--user", "ci", "--scope", "register", "--expires", "90d")
    plaintext = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert plaintext.startswith(f"assay_{token.prefix}_") and token.scopes == ["register"]
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)


def test_revoke_api_token_command(ci):
    token_for(ci, "read")
    call_command("revoke_api_token", ApiToken.objects.get().prefix, "--reason", "rotated")
    assert ApiToken.objects.get().revoked_at is not None
