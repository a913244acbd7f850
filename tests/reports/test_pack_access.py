"""Who may render and download packs (audited), the API, the commands, the offline CLI,
signing keys with rotation, and the pack recorded with an approval."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from audit.models import AuditEvent
from governance.reports.models import AuditPack
from registry.packfile import verify
from tests.conftest import api_as


def _downloads(pack_id: str) -> int:
    return AuditEvent.objects.filter(action="audit_pack.downloaded",
                                     after__pack_id=pack_id).count()


def test_signing_keys_are_public_and_rotation_keeps_the_old_ones(client, signing_key):
    call_command("create_signing_key", "--reason", "yearly rotation", stdout=io.StringIO())
    keys = client.get("/api/v1/signing-keys/").json()
    assert [k["key_id"] for k in keys][0] == signing_key.key_id and len(keys) == 2
    assert keys[0]["retired_at"] and keys[1]["retired_at"] is None
    assert "BEGIN PUBLIC KEY" in keys[1]["public_key_pem"]
    assert AuditEvent.objects.filter(action="signing_key.created").count() == 2


def test_auditor_renders_lists_and_downloads_and_each_download_is_audited(ada, reviewed,
                                                                           signing_key):
    api = api_as(ada, "read")
    created = api.post(f"/api/v1/versions/{reviewed.pk}/audit-packs/")
    assert created.status_code == 201, created.content
    pack_id = created.json()["pack_id"]
    again = api.post(f"/api/v1/versions/{reviewed.pk}/audit-packs/")
    assert again.status_code == 200 and again.json()["pack_id"] == pack_id
    assert [p["pack_id"] for p in api.get(
        f"/api/v1/versions/{reviewed.pk}/audit-packs/").json()] == [pack_id]
    response = api.get(f"/api/v1/versions/{reviewed.pk}/audit-pack")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert verify(response.content, signing_key.public_key_pem).ok
    assert _downloads(pack_id) == 1
    assert AuditEvent.objects.filter(action="audit_pack.generated").count() == 1


@pytest.mark.parametrize("who", ["dan", "victor", "nobody"])
def test_developer_validator_and_others_are_refused(request, reviewed, signing_key, who):
    user = request.getfixturevalue(who)
    api = api_as(user, "read")
    assert api.post(f"/api/v1/versions/{reviewed.pk}/audit-packs/").status_code == 403
    assert api.get(f"/api/v1/versions/{reviewed.pk}/audit-pack").status_code == 403
    assert not AuditPack.objects.exists()


def test_no_pack_yet_is_a_404_problem(rita, reviewed, signing_key):
    api = api_as(rita, "read")
    response = api.get(f"/api/v1/versions/{reviewed.pk}/audit-pack")
    assert response.status_code == 404 and "POST to" in response.json()["detail"]


def test_without_a_signing_key_the_answer_says_what_to_do(rita, reviewed, settings,
                                                         tmp_path):
    settings.ASSAY_SIGNING_KEY_DIR = tmp_path
    api = api_as(rita, "read")
    response = api.post(f"/api/v1/versions/{reviewed.pk}/audit-packs/")
    assert response.status_code == 503 and "create_signing_key" in response.json()["detail"]


def test_owner_renders_from_the_web_page_and_developer_is_refused(client, olivia, dan,
                                                                  reviewed, signing_key):
    url = f"/models/credit-pd/versions/{reviewed.number}/audit-packs/"
    client.force_login(dan)
    assert client.get(url).status_code == 403 and client.post(url).status_code == 403
    assert b"Audit packs for regulators" not in client.get(
        f"/models/credit-pd/versions/{reviewed.number}/").content
    client.force_login(olivia)
    assert b"Audit packs for regulators" in client.get(
        f"/models/credit-pd/versions/{reviewed.number}/").content
    assert client.post(url).status_code == 302
    pack = AuditPack.objects.get()
    page = client.get(url)
    assert page.status_code == 200 and pack.pack_id.encode() in page.content
    download = client.get(f"/audit-packs/{pack.pack_id}.pdf")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert _downloads(pack.pack_id) == 1
    client.force_login(dan)
    assert client.get(f"/audit-packs/{pack.pack_id}.pdf").status_code == 403


def test_commands_and_the_offline_cli_verify_and_name_what_differs(reviewed, signing_key,
                                                                   tmp_path, capsys):
    out, key = tmp_path / "pack.pdf", tmp_path / "public.pem"
    call_command("audit_pack", "credit-pd", str(reviewed.number), "-o", str(out))
    key.write_text(signing_key.public_key_pem)
    call_command("verify_pack", str(out))
    env = {"PATH": "/usr/bin:/bin"}  # no Django settings, no server: the pack and the key
    cli = [sys.executable, "-c", "import sys; from registry.cli import main; "
           "sys.exit(main(sys.argv[1:]))", "verify-pack", str(out), "--key", str(key)]
    ok = subprocess.run(cli, capture_output=True, text=True, env=env,
                        cwd=Path(__file__).resolve().parents[2], check=False)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stderr
    data = bytearray(out.read_bytes())
    data[400] ^= 0x20  # in the first page objects, outside the manifest
    out.write_bytes(bytes(data))
    bad = subprocess.run(cli, capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[2], check=False)
    assert bad.returncode == 1 and "document body differs" in bad.stderr
    with pytest.raises(CommandError, match="document body differs"):
        call_command("verify_pack", str(out))


def test_approval_renders_its_pack_and_the_gate_names_it(ci, approved, signing_key,
                                                         monkeypatch):
    from governance.reports import tasks
    from governance.workflow.models import Approval

    approval = Approval.objects.get(version=approved)
    assert tasks.render_audit_pack(approved.pk, "approval", None, approval.pk).endswith(
        "rendered")
    pack = AuditPack.objects.get(approval=approval)
    api = api_as(ci, "read")
    answer = api.get(f"/api/v1/models/credit-pd/versions/{approved.number}/deployable/")
    assert answer.status_code == 200
    assert answer.json()["audit_pack"] == {"pack_id": pack.pack_id, "sha256": pack.sha256,
                                           "download": f"/api/v1/audit-packs/{pack.pack_id}.pdf"}


def test_approval_enqueues_its_pack_on_the_reports_queue(reviewed, victor, rita, amy,
                                                         lenient_fairness, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    from governance.reports import tasks
    from tests.workflow.conftest import approve

    sent = []
    monkeypatch.setattr(tasks.render_audit_pack, "apply_async",
                        lambda args, queue, retry: sent.append((args, queue)))
    with django_capture_on_commit_callbacks(execute=True):
        approve(reviewed, victor, rita, amy)
    assert [(args[:2], queue) for args, queue in sent] == [([reviewed.pk, "approval"],
                                                            "reports")]


def test_inventory_report_for_committees_is_signed_and_audited(client, rita, dan, reviewed,
                                                               other_model, signing_key):
    from registry.packfile import verify as verify_pack

    client.force_login(dan)
    assert client.get("/inventory/report.pdf").status_code == 403
    assert b"Inventory report for committees" not in client.get("/").content
    client.force_login(rita)
    assert b"Inventory report for committees" in client.get("/").content
    response = client.get("/inventory/report.pdf")
    assert response.status_code == 200 and verify_pack(response.content,
                                                       signing_key.public_key_pem).ok
    text = "\n".join(page.extract_text() for page in PdfReader(
        io.BytesIO(response.content)).pages)
    assert "Credit PD" in text and "Fraud" in text and "Models" in text
    assert AuditEvent.objects.filter(action="inventory_report.downloaded").count() == 1
    api = api_as(rita, "read")
    assert api.get("/api/v1/inventory-report.pdf").status_code == 200
