import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit import anchors, keys
from audit.chain import keyed_event_hash, legacy_event_hash
from audit.models import AuditEvent, ChainCheck
from audit.selectors import verify_chain
from audit.services import record_event
from audit.tasks import anchor_chain_head, verify_audit_chain
from tests.conftest import as_database_owner

REF = ("tests.thing", "1", "thing one")


def _events(n):
    for i in range(n):
        with transaction.atomic():
            record_event(actor=None, action="thing.changed", target_ref=REF, after={"i": i})


def _as_superuser(sql, params=()):
    """What someone with full database access (but not the server key) could do."""
    with connection.cursor() as cursor, as_database_owner(cursor):
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            for trigger in ("no_update", "no_delete", "no_replace"):
                cursor.execute(f"DROP TRIGGER IF EXISTS audit_event_{trigger}")
            cursor.execute(sql, params)


def _row(sequence):
    fields = [f.attname for f in AuditEvent._meta.concrete_fields]
    return AuditEvent.objects.filter(sequence=sequence).values(*fields).get()


def test_events_are_hashed_with_the_server_key_and_record_its_id(db):
    _events(1)
    row = _row(1)
    assert row["key_id"] == keys.current_key().key_id
    assert row["hash"] == keyed_event_hash(row, row["key_id"]) != legacy_event_hash(row)


def test_legacy_unkeyed_events_still_verify(db):
    _events(2)
    for sequence in (1, 2):  # rewrite both as they were recorded before keyed hashes
        row = _row(sequence)
        row.update(key_id="", previous_hash=_row(sequence - 1)["hash"] if sequence > 1
                   else row["previous_hash"])
        _as_superuser("UPDATE audit_auditevent SET key_id = '', hash = %s, previous_hash = %s "
                      "WHERE sequence = %s", [legacy_event_hash(row), row["previous_hash"],
                                              sequence])
    _events(1)  # a keyed event after legacy ones
    assert verify_chain() is None


def test_chain_recomputed_without_the_key_fails(db):
    """The insider edits event 2 and recomputes every later hash as plain sha256."""
    _events(3)
    previous = _row(1)["hash"]
    for sequence in (2, 3):
        row = _row(sequence)
        row.update(previous_hash=previous, key_id="",
                   reason="nothing to see" if sequence == 2 else row["reason"])
        previous = legacy_event_hash(row)
        _as_superuser("UPDATE audit_auditevent SET reason = %s, key_id = '', "
                      "previous_hash = %s, hash = %s WHERE sequence = %s",
                      [row["reason"], row["previous_hash"], previous, sequence])
    chain_break = verify_chain()
    assert chain_break.sequence == 2 and "without the server key" in chain_break.problem


def test_event_under_an_unknown_key_fails(db, settings):
    settings.ASSAY_SERVER_KEYS = [("old", "o" * 32)]
    _events(1)
    settings.ASSAY_SERVER_KEYS = [("new", "n" * 32)]
    assert "does not hold" in verify_chain().problem


def test_anchor_is_signed_and_stored_outside_the_database(db):
    _events(3)
    anchor = anchors.write_anchor()
    assert (anchor.sequence, anchor.hash) == (3, _row(3)["hash"])
    stored = anchors.latest_anchor()
    assert stored == anchor and stored.signature_valid()


def test_anchor_is_not_rewritten_when_nothing_is_new(db):
    _events(1)
    anchors.write_anchor()
    assert anchors.write_anchor() is None


def test_truncating_the_last_20_events_fails_verify_audit(db):
    _events(25)
    anchors.write_anchor()
    _as_superuser("DELETE FROM audit_auditevent WHERE sequence > 5")
    assert verify_chain() is None  # what remains still links up
    with pytest.raises(CommandError, match=r"ends at event #5 .* recorded event #25"):
        call_command("verify_audit")


def test_deleting_all_events_fails_verify_audit(db):
    _events(4)
    anchors.write_anchor()
    _as_superuser("DELETE FROM audit_auditevent")
    with pytest.raises(CommandError, match="chain is empty .* truncated or deleted"):
        call_command("verify_audit")


def test_rewritten_anchored_event_fails(db):
    _events(2)
    anchors.write_anchor()
    _as_superuser("UPDATE audit_auditevent SET hash = %s WHERE sequence = 2", ["f" * 64])
    with pytest.raises(CommandError, match="#2"):
        call_command("verify_audit")


def test_forged_anchor_file_fails(db):
    _events(2)
    anchors.write_anchor()
    storage = anchors.anchor_storage()
    _, names = storage.listdir(anchors.ANCHOR_FOLDER)
    path = storage.path(f"{anchors.ANCHOR_FOLDER}/{names[0]}")
    with open(path) as handle:
        data = json.load(handle)
    data["sequence"] = 1
    with open(path, "w") as handle:
        json.dump(data, handle)
    with pytest.raises(CommandError, match="invalid signature"):
        call_command("verify_audit")


def test_anchor_refused_over_a_truncated_chain(db):
    _events(5)
    anchors.write_anchor()
    _as_superuser("DELETE FROM audit_auditevent WHERE sequence > 2")
    _events(4)  # the chain grows past the anchor again, with other events
    with pytest.raises(anchors.AnchorRefused):
        anchors.write_anchor()


def test_verify_audit_reports_the_anchor_it_agrees_with(db, capsys):
    _events(2)
    anchors.write_anchor()
    _events(1)
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "anchor of event #2" in out and "3 events verified" in out


def test_periodic_check_records_success(db):
    _events(2)
    assert anchor_chain_head() == "anchored #2"
    assert verify_audit_chain() == "verified"
    check = ChainCheck.objects.get()
    assert (check.ok, check.last_sequence, check.anchor_sequence, check.problems) == (
        True, 2, 2, [])


def test_periodic_check_failure_is_recorded_audited_and_mailed_to_risk_officers(
        db, rita, settings):
    rita.email = "rita@bank.example"
    rita.save()
    settings.ASSAY_CHAIN_ALERT_EMAILS = ["soc@bank.example"]
    _events(3)
    anchor_chain_head()
    _as_superuser("DELETE FROM audit_auditevent WHERE sequence > 1")
    with pytest.MonkeyPatch.context() as patch:  # run on-commit callbacks at once
        patch.setattr(transaction, "on_commit", lambda callback, **kw: callback())
        assert verify_audit_chain() == "failed"
    check = ChainCheck.objects.get()
    assert not check.ok and "truncated" in check.problems[0]
    assert AuditEvent.objects.filter(action="audit.chain_check_failed").exists()
    assert mail.outbox[0].to == ["rita@bank.example", "soc@bank.example"]
    assert "truncated" in mail.outbox[0].body


def test_anchor_task_over_a_truncated_chain_refuses_and_records_the_failure(db):
    _events(3)
    anchor_chain_head()
    _as_superuser("DELETE FROM audit_auditevent WHERE sequence = 3")
    assert anchor_chain_head() == "refused"
    assert ChainCheck.objects.get().ok is False


def test_audit_page_shows_chain_status(client, ada):
    _events(2)
    anchor_chain_head()
    verify_audit_chain()
    client.force_login(ada)
    page = client.get("/audit/").content.decode()
    assert "Chain verified" in page and "up to event #2" in page


def test_audit_page_shows_a_failed_check(client, ada):
    _events(2)
    anchor_chain_head()
    _as_superuser("DELETE FROM audit_auditevent")
    verify_audit_chain()
    client.force_login(ada)
    page = client.get("/audit/").content.decode()
    assert "Chain verification FAILED" in page and "truncated or deleted" in page
