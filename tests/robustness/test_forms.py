"""Every web form, posted as a forged request (no HTML limits) with empty, whitespace-only,
over-long, wrong-type and out-of-range values: the answer is a 4xx (the form back with
its error) or a redirect, never a 5xx."""

import pytest
from django.test import Client

from governance.workflow.models import Finding
from registry.models import ModelVersion

BAD_VALUES = {
    "empty": "",
    "spaces": "   \t ",
    "over-long": "x" * 20_000,
    "wrong type": "abc\x00<script>",
    "out of range": "-99999999999999999999",
    "huge number": "99999999999999999999",
}
V = "/models/credit-pd-xgb/versions/2"  # in validation, with a report and an open finding


def _forms(people):
    finding = Finding.objects.filter(status="open").first()
    deployed = ModelVersion.objects.get(model__slug="credit-pd-xgb", number=1)
    return {
        "login": (None, "/login/", {"username": "rita", "password": "rita-pass-123!"}),
        "add model": ("rita", "/inventory/new/", {
            "slug": "fuzz", "name": "Fuzz", "purpose": "p", "owner": "olivia",
            "developer": "dan", "validator": "victor", "ci_accounts": "ci", "risk_tier": "3",
            "tier_rationale": "t", "regulatory_scope": "sr_11_7", "inputs": "i",
            "outputs": "o", "limitations": "l", "restrictions_on_use": "r",
            "origin": "in_house", "vendor_name": "", "status": "in_development",
            "next_review_date": "2030-01-01"}),
        "edit model": ("olivia", "/models/credit-pd-xgb/edit/", {
            "name": "Credit", "purpose": "p", "owner": "olivia", "risk_tier": "1",
            "tier_rationale": "t", "origin": "in_house", "status": "in_production",
            "next_review_date": "2030-01-01", "reason": "fuzz"}),
        "policy": ("rita", "/policies/", {
            "tier": "2", "required_evidence": "performance", "approvals_required": "1",
            "four_fifths_min": "0.8", "equal_opportunity_max_difference": "0.1",
            "revalidation_months": "12", "grace_days": "30", "reason": "fuzz"}),
        "start run": ("olivia", f"{V}/evidence/", {"kind": "performance", "dataset": "1"}),
        "halt": ("rita", f"/models/credit-pd-xgb/versions/{deployed.number}/actions/halt/",
                 {"reason": "fuzz", "confirm": "yes"}),
        "sign": ("rita", f"{V}/sign/request_changes/", {
            "password": "rita-pass-123!", "meaning": "m", "reason": "r",
            "conditions": "c", "overlays": "o"}),
        "raise finding": ("victor", f"{V}/findings/", {
            "severity": "low", "title": "t", "description": "d",
            "owner": str(people["olivia"].pk), "due_date": "2030-01-01",
            "remediation": "r"}),
        "fairness exception": ("rita", f"{V}/fairness-exceptions/", {
            "check": "four_fifths", "justification": "j"}),
        "close finding": ("olivia", f"/findings/{finding.pk}/close/", {
            "status": "remediated", "note": "n"}),
        "upload report": ("victor", f"{V}/report/", {"report": ""}),
    }


FORMS = ["login", "add model", "edit model", "policy", "start run", "halt", "sign",
         "raise finding", "fairness exception", "close finding", "upload report"]


@pytest.mark.parametrize("name", FORMS)
def test_bad_values_never_give_a_server_error(db, seeded, name):
    people, _ = seeded
    who, url, valid = _forms(people)[name]
    client = Client(raise_request_exception=False)
    if who:
        client.force_login(people[who])
    problems = []
    for field in valid:
        for kind, value in BAD_VALUES.items():
            response = client.post(url, valid | {field: value})
            status = response.status_code
            if status >= 500:
                problems.append(f"{field}={kind}: {status}")
            elif status in (400, 409, 413, 422) and b"errorlist" not in response.content:
                problems.append(f"{field}={kind}: {status} without the error shown")
            if name == "login" and who is None:
                client.logout()
    assert not problems, "\n".join(problems)


def test_a_nul_in_a_web_form_names_the_field(db, seeded):
    people, _ = seeded
    client = Client()
    client.force_login(people["victor"])
    response = client.post(f"{V}/findings/", {"title": "a\x00b", "severity": "low"})
    assert response.status_code == 400 and b"errorlist" in response.content
    assert b"title: contains a NUL character" in response.content
