"""The validation report: downloadable by readers of the version (audited), the
current one marked, and bound into the approval like the evidence."""

from django.test import Client

from audit.models import AuditEvent
from governance.workflow.deployability import version_answer
from governance.workflow.services import upload_validation_report
from tests.workflow.conftest import PDF, upload_report

V = "/models/credit-pd/versions/1"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_reader_downloads_the_report_and_the_download_is_audited(reviewed, victor, ada):
    report = upload_report(victor, reviewed)
    response = _client(ada).get(f"{V}/reports/{report.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="validation.pdf"'
    event = AuditEvent.objects.get(action="validation_report.downloaded")
    assert event.actor_name == "ada" and event.after["sha256"] == report.blob.sha256


def test_someone_without_a_role_may_not_download(reviewed, victor, nobody):
    report = upload_report(victor, reviewed)
    assert _client(nobody).get(f"{V}/reports/{report.pk}/").status_code == 403


def test_a_report_of_another_version_is_not_found(reviewed, victor, ada):
    report = upload_report(victor, reviewed)
    assert _client(ada).get(f"/models/credit-pd/versions/2/reports/{report.pk}/"
                            ).status_code == 404
    assert _client(ada).get(f"{V}/reports/{report.pk + 1}/").status_code == 404


def test_the_newest_upload_is_marked_current(reviewed, victor, rita):
    upload_report(victor, reviewed)
    upload_validation_report(actor=victor, version=reviewed, data=PDF + b"% v2\n",
                             filename="validation-v2.pdf")
    page = _client(rita).get(f"{V}/").content.decode()
    reports = page.split('id="reports"')[1].split("</ul>")[0]
    assert reports.index("validation-v2.pdf") < reports.index("current") < reports.index(
        "validation.pdf") < reports.index("replaced")


def test_the_report_is_bound_into_the_approval_and_replacing_it_voids_it(approved, victor):
    approval = approved.approvals.get()
    report = approved.validation_reports.get()
    assert approval.evidence["validation_report"] == {
        "report": report.pk, "filename": "validation.pdf", "sha256": report.blob.sha256}
    assert version_answer(approved).deployable
    upload_validation_report(actor=victor, version=approved, data=PDF + b"% edited\n",
                             filename="validation.pdf")
    answer = version_answer(approved)
    assert answer.reasons == ["approval_invalidated"]
    assert "validation report of v1 was replaced" in answer.summary
