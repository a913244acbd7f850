"""Real concurrency against PostgreSQL through the live HTTP server."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.selectors import verify_chain
from registry.models import ModelVersion
from tests.conftest import postgres_only, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_parallel_registrations_get_one_to_twenty(live_server, ci, credit_model, xgb_json):
    postgres_only()
    token = token_for(ci, "register")

    def post(i):
        return httpx.post(f"{live_server.url}/api/v1/models/credit-pd/versions/",
                          headers={"Authorization": f"Bearer {token}"},
                          # Twenty distinct files of one real model (trailing whitespace differs):
                          # registration loads every tree, so a tree-less stub is refused.
                          files={"artifact": (f"m{i}.json", xgb_json + b" " * i)},
                          data={"metadata": "{}"}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(post, range(20)))
    assert statuses == [201] * 20
    numbers = sorted(ModelVersion.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    assert verify_chain() is None and AuditEvent.objects.filter(
        action="version.registered").count() == 20


def test_trigger_refuses_even_raw_sql_update(db):
    postgres_only()
    with transaction.atomic():
        from audit.services import record_event

        record_event(actor=None, action="x", target_ref=("t", "1", "t"))
    # The trigger refuses it; under a runtime role (CI) the missing privilege refuses first.
    with pytest.raises(DatabaseError, match="append-only|permission denied"), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'x'")
