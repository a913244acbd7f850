"""The audit page: events link to their objects, filters survive pagination,
housekeeping is hidden unless asked, and a search exports as CSV."""

import csv
import io

from django.db import transaction

from audit.services import record_event

THING = ("tests.thing", "1", "a thing")


def _events(n, action="model.updated", target=None):
    with transaction.atomic():
        for i in range(n):
            record_event(actor=None, action=action, target=target,
                         target_ref=None if target else THING, reason=f"event {i}")


def test_an_event_links_to_its_model(client, ada, credit_model):
    _events(1, target=credit_model)
    client.force_login(ada)
    response = client.get("/audit/")
    assert b'href="/models/credit-pd/"' in response.content
    assert b"Inventory entry changed" in response.content


def test_filters_survive_pagination(client, ada):
    _events(120, action="policy.revised")
    _events(3, action="model.updated")
    client.force_login(ada)
    first = client.get("/audit/", {"action": "policy.revised"}).content.decode()
    assert "?action=policy.revised&amp;page=2" in first
    second = client.get("/audit/", {"action": "policy.revised", "page": "2"}).content.decode()
    assert "Page 2 of 2" in second and "Reason: event 0<" in second
    assert '<div class="muted mono">model.updated</div>' not in second


def test_housekeeping_is_hidden_unless_asked(client, ada):
    _events(1, action="blob.verified")
    _events(1, action="model.updated")
    client.force_login(ada)
    row = b'<div class="muted mono">blob.verified</div>'
    assert row not in client.get("/audit/").content
    assert row in client.get("/audit/", {"housekeeping": "1"}).content
    assert row in client.get("/audit/", {"action": "blob.verified"}).content


def test_a_search_exports_as_csv_with_formulas_neutralised(client, ada):
    with transaction.atomic():
        record_event(actor=None, action="model.updated", target_ref=THING,
                     reason="=cmd|' /C calc'!A0")
        record_event(actor=None, action="policy.revised", target_ref=THING, reason="kept out")
    client.force_login(ada)
    response = client.get("/audit/export.csv", {"action": "model.updated"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["action"] for row in rows] == ["model.updated"]
    assert rows[0]["reason"].startswith("'=cmd")


def test_the_export_is_for_auditors(client, olivia):
    client.force_login(olivia)
    assert client.get("/audit/export.csv").status_code == 403
