from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from governance import environment


def _staff_client(db):
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_user("opsy", is_staff=True))
    return client


def test_public_health_says_ok_and_nothing_else(db):
    response = Client().get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_public_health_writes_nothing_to_storage(db, monkeypatch):
    from registry import blobs

    monkeypatch.setattr(blobs.blob_storage(), "save",
                        lambda *a, **k: pytest.fail("health wrote to storage"))
    assert Client().get("/health/").status_code == 200
    assert _staff_client(db).get("/health/ready/").status_code == 200


def test_public_health_hides_the_failure_detail(db, monkeypatch):
    from governance import health

    def database_down():
        raise OSError("could not connect to server at db.internal:5432 as role assay_admin")

    monkeypatch.setattr(health, "_check_database", database_down)
    response = Client().get("/health/")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}
    assert b"db.internal" not in response.content


def test_readiness_reports_database_broker_storage_to_staff(db):
    body = _staff_client(db).get("/health/ready/").json()
    assert body["status"] == "ok" and set(body["checks"]) == {"database", "broker", "storage"}


def test_readiness_is_refused_to_anonymous_and_to_non_staff(db, rita):
    assert Client().get("/health/ready/").status_code in (401, 403)
    client = Client()
    client.force_login(rita)
    response = client.get("/health/ready/")
    assert response.status_code == 403 and b"checks" not in response.content


def test_readiness_is_503_with_the_detail_when_broker_is_down(db, monkeypatch):
    from governance import health

    def broker_down():
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setitem(health.CHECKS, "broker", broker_down)
    response = _staff_client(db).get("/health/ready/")
    assert response.status_code == 503 and not response.json()["checks"]["broker"]["ok"]
    assert "connection refused" in response.json()["checks"]["broker"]["detail"]


def test_sizes_and_durations_parse():
    assert environment.parse_size("512MB") == 512 * 1024**2
    assert environment.parse_duration("90d") == timedelta(days=90)


def test_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("ASSAY_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="ASSAY_DEBUG"):
        environment.env_bool("ASSAY_DEBUG", False)


def test_secret_key_is_required_without_debug(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ASSAY_DEBUG")}
    result = subprocess.run([sys.executable, "-c", "import django; from django.conf import "
                             "settings; settings.INSTALLED_APPS"],
                            env=env | {"DJANGO_SETTINGS_MODULE": "governance.settings",
                                       "ASSAY_VAR_DIR": str(tmp_path)},
                            capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def _settings_in_subprocess(tmp_path, **env):
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ASSAY_DEBUG")}
    return subprocess.run([sys.executable, "-c", "import django; from django.conf import "
                           "settings; print(settings.SECURE_HSTS_SECONDS)"],
                          env=base | {"DJANGO_SETTINGS_MODULE": "governance.settings",
                                      "ASSAY_VAR_DIR": str(tmp_path)} | env,
                          capture_output=True, text=True)


@pytest.mark.parametrize("key", ["x", "a" * 80, "abcd" * 20, "short-but-random-Kx8Wm4Tn7Y"])
def test_a_weak_secret_key_is_refused_outside_debug(tmp_path, key):
    result = _settings_in_subprocess(tmp_path, SECRET_KEY=key)
    assert result.returncode != 0 and "SECRET_KEY is too weak" in result.stderr


def test_a_strong_secret_key_is_accepted_and_hsts_defaults_to_a_year(tmp_path):
    import secrets

    result = _settings_in_subprocess(tmp_path, SECRET_KEY=secrets.token_urlsafe(48))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(365 * 24 * 3600)


def test_debug_mode_takes_a_short_key_and_sends_no_hsts(tmp_path):
    result = _settings_in_subprocess(tmp_path, SECRET_KEY="x", ASSAY_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


def test_hsts_header_is_sent_over_tls(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = Client().get("/health/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
