from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from governance import environment


def test_health_reports_database_broker_storage(db):
    body = Client().get("/health/").json()
    assert body["status"] == "ok" and set(body["checks"]) == {"database", "broker", "storage"}


def test_health_is_503_when_broker_is_down(db, monkeypatch):
    from governance import health

    def broker_down():
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setitem(health.CHECKS, "broker", broker_down)
    response = Client().get("/health/")
    assert response.status_code == 503 and not response.json()["checks"]["broker"]["ok"]


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
