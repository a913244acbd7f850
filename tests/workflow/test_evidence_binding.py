"""The version page shows the evidence the gate binds, not merely the newest run."""

from django.test import Client

from explain.services import request_run
from governance.workflow import gates
from tests.explain.conftest import execute, make_dataset

V = "/models/credit-pd/versions/1/"


def _run_on_other_data(version, ci, credit_frame, kind="fairness"):
    other = make_dataset(credit_frame.sample(frac=0.5, random_state=1), ci, name="training",
                         roles={"target": "default", "protected": ["sex", "age_years"]})
    run, _ = request_run(actor=ci, version=version, kind=kind, dataset=other)
    assert execute(run).status == "succeeded", run.error
    return run


def test_tabs_show_the_bound_run_and_other_runs_are_labelled_with_their_dataset(
        reviewed, ci, credit_frame, rita):
    newer = _run_on_other_data(reviewed, ci, credit_frame)
    bound = gates.bound_runs(reviewed)["fairness"]
    assert bound.pk != newer.pk and bound.dataset.name == "validation"
    client = Client()
    client.force_login(rita)
    page = client.get(V).content.decode()
    tabs = page.split('aria-label="Evidence bound to the policy checks"')[1].split("</nav>")[0]
    assert f"/evidence/{bound.pk}/" in tabs and f"/evidence/{newer.pk}/" not in tabs
    others = page.split('id="other-runs"')[1].split("</div>")[0]
    assert f"#{newer.pk} Fairness" in others and "<strong>training</strong>" in others


def test_each_evidence_check_links_to_its_run(reviewed, rita):
    bound = gates.bound_runs(reviewed)
    report = gates.approval_gates(reviewed, gates.TierPolicy.objects.get(tier=1, revision=1))
    linked = {check.name: check.run for check in report.checks if check.run}
    assert linked["evidence:shap"] == bound["shap"].pk
    assert linked["fairness:sex:four_fifths"] == bound["fairness"].pk
    client = Client()
    client.force_login(rita)
    assert f'href="/evidence/{bound["drift"].pk}/"' in client.get(V).content.decode()
