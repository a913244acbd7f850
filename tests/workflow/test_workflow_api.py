"""The deploy gate, the model's state as of a moment, and status changes over HTTP."""

from datetime import timedelta

import pytest

from governance.workflow.models import Approval
from registry.cli import main
from tests.conftest import api_as, token_for

GATE = "/api/v1/models/credit-pd/deployable"


def test_gate_is_200_with_the_approval(approved, ci):
    response = api_as(ci, "read").get(GATE)
    body = response.json()
    assert response.status_code == 200 and body["version"]["number"] == 1
    assert body["version"]["approval"]["artifact_sha256"] == approved.artifact.sha256


def test_gate_is_409_with_reasons_before_approval(reviewed, ci):
    response = api_as(ci, "read").get(GATE)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert [r["code"] for r in response.json()["reasons"]] == ["no_approved_version"]


def test_gate_as_of_before_the_approval(approved, ci):
    moment = (Approval.objects.get().approved_at - timedelta(seconds=1)).isoformat()
    response = api_as(ci, "read").get(GATE, {"as_of": moment})
    assert response.status_code == 409


def test_gate_refuses_a_nonsense_as_of(approved, ci):
    response = api_as(ci, "read").get(GATE, {"as_of": "last tuesday"})
    assert response.status_code == 400 and "as_of" in response.json()["errors"]


def test_version_gate(approved, ci):
    assert api_as(ci, "read").get(
        "/api/v1/models/credit-pd/versions/1/deployable").status_code == 200


def test_unknown_model_is_404(approved, ci):
    assert api_as(ci, "read").get("/api/v1/models/nope/deployable").status_code == 404


def test_state_lists_versions_as_of_now(approved, ci):
    body = api_as(ci, "read").get("/api/v1/models/credit-pd/state/").json()
    assert [(v["number"], v["status"]) for v in body["versions"]] == [(1, "approved")]


def test_risk_officer_halts_over_the_api_and_the_gate_turns_red(approved, rita, ci):
    client = api_as(rita, "operate", "read")
    response = client.post("/api/v1/models/credit-pd/versions/1/transitions/",
                           {"action": "halt", "reason": "incident 42"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "halted"
    assert api_as(ci, "read").get(GATE).json()["reasons"][0]["code"] == "halted"


def test_halt_needs_the_operate_scope(approved, rita):
    response = api_as(rita, "read").post("/api/v1/models/credit-pd/versions/1/transitions/",
                                         {"action": "halt", "reason": "x"}, format="json")
    assert response.status_code == 403 and "operate" in response.json()["detail"]


def test_ci_account_may_not_halt(approved, ci):
    response = api_as(ci, "operate", "read").post(
        "/api/v1/models/credit-pd/versions/1/transitions/", {"action": "halt", "reason": "x"},
        format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "/api/problems/separation-of-duties"


def test_signed_decisions_are_not_taken_over_the_api(reviewed, rita):
    response = api_as(rita, "operate", "read").post(
        "/api/v1/models/credit-pd/versions/1/transitions/",
        {"action": "approve", "reason": "x"}, format="json")
    assert response.status_code == 400


def test_halt_without_reason_is_422(approved, rita):
    response = api_as(rita, "operate", "read").post(
        "/api/v1/models/credit-pd/versions/1/transitions/", {"action": "halt"}, format="json")
    assert response.status_code == 422 and response.json()["field"] == "reason"


@pytest.fixture
def gate_cli(approved, ci, live_server, monkeypatch):
    monkeypatch.setenv("ASSAY_URL", live_server.url)
    monkeypatch.setenv("ASSAY_TOKEN", token_for(ci, "read"))


def test_cli_gate_exits_0_when_deployable(gate_cli, capsys):
    assert main(["gate", "--model", "credit-pd"]) == 0
    assert "deployable: credit-pd v1" in capsys.readouterr().out


def test_cli_gate_exits_1_with_reasons(gate_cli, capsys):
    assert main(["gate", "--model", "credit-pd", "--as-of", "2020-01-01"]) == 1
    assert "no_approved_version" in capsys.readouterr().out
