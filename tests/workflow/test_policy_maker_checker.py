"""Policy changes: one risk officer proposes, a second approves (now or at a stated
date); the history shows what changed; every control has its own label."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from governance.workflow.errors import SeparationOfDuties, TransitionNotAllowed
from governance.workflow.models import TierPolicy
from governance.workflow.policies import current_policy, history_with_diffs
from governance.workflow.services import decide_policy_revision, revise_policy
from tests.workflow.conftest import second_risk_officer


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_proposal_is_not_in_force_until_a_second_risk_officer_approves(rita):
    before = current_policy(3)
    proposal = revise_policy(actor=rita, tier=3, changes={"grace_days": 10}, reason="tighter")
    assert proposal.status == "proposed" and current_policy(3) == before
    with pytest.raises(SeparationOfDuties) as refused:
        decide_policy_revision(actor=rita, policy=proposal, approve=True)
    assert refused.value.extra["rule"] == "maker-checker"
    decide_policy_revision(actor=second_risk_officer(), policy=proposal, approve=True)
    assert current_policy(3).revision == proposal.revision
    assert current_policy(3).grace_days == 10
    event = AuditEvent.objects.get(action="policy.revised")
    assert (event.before["grace_days"], event.after["grace_days"]) == (60, 10)
    assert event.actor_name == "Rosa Reyes (rosa)" and event.after["proposed_by"] == rita.pk


def test_an_approved_revision_with_an_effective_date_waits_for_it(rita):
    start = timezone.now() + timedelta(days=7)
    proposal = revise_policy(actor=rita, tier=3, changes={"grace_days": 5}, reason="q1",
                             effective_at=start)
    decide_policy_revision(actor=second_risk_officer(), policy=proposal, approve=True)
    assert current_policy(3).grace_days == 60
    assert current_policy(3, at=start + timedelta(seconds=1)).grace_days == 5


def test_one_proposal_at_a_time_and_a_rejected_one_never_applies(rita):
    proposal = revise_policy(actor=rita, tier=3, changes={"grace_days": 5}, reason="q1")
    with pytest.raises(TransitionNotAllowed):
        revise_policy(actor=rita, tier=3, changes={"grace_days": 6}, reason="q1 again")
    decide_policy_revision(actor=second_risk_officer(), policy=proposal, approve=False,
                           reason="not justified")
    assert TierPolicy.objects.get(pk=proposal.pk).status == "rejected"
    assert current_policy(3).grace_days == 60


def test_history_shows_what_each_revision_changed(rita):
    proposal = revise_policy(actor=rita, tier=3, reason="stricter",
                             changes={"grace_days": 5, "four_fifths_min": 0.8})
    decide_policy_revision(actor=second_risk_officer(), policy=proposal, approve=True)
    newest, diff = history_with_diffs(3)[0]
    assert newest == proposal
    assert diff == [("four_fifths_min", "not checked", "0.8"), ("grace_days", "60", "5")]


def test_the_page_proposes_then_the_second_officer_approves(rita):
    form = {"tier": "3", "required_evidence": ["performance", "shap"],
            "approvals_required": "1", "revalidation_months": "36", "grace_days": "60",
            "reason": "add SHAP"}
    assert _client(rita).post("/policies/", form).status_code == 302
    page = _client(rita).get("/policies/").content.decode()
    assert "awaiting a second risk officer" in page and "Approve revision" not in page
    rosa = _client(second_risk_officer())
    assert 'value="approve"' in rosa.get("/policies/").content.decode()
    assert rosa.post("/policies/", {"tier": "3", "decision": "approve"}).status_code == 302
    assert current_policy(3).required_evidence == ["performance", "shap"]


def test_every_checkbox_has_its_own_label(rita):
    page = _client(rita).get("/policies/").content.decode()
    assert '<input type="checkbox" id="t1-evidence-scoring"' in page
    assert '<label for="t1-evidence-scoring">Scoring</label>' in page
    assert page.count("<label class=\"check\">") == 0
