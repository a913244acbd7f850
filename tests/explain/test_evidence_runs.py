"""Evidence runs executed in-process, checked against references (xgboost, sklearn, fairlearn)."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from audit.models import AuditEvent
from explain.errors import InvalidRecipe
from explain.models import EvidenceRun
from explain.services import request_run
from tests.explain.conftest import FEATURES, execute, make_dataset, result_frame, run_of, scores


def test_registration_requests_the_tier_policy_runs(version):
    kinds = set(version.evidence_runs.values_list("kind", flat=True))
    assert kinds == {"scoring", "performance", "shap", "reason_codes", "fairness", "drift"}


def test_each_requested_run_is_audited(version):
    assert AuditEvent.objects.filter(action="evidence_run.requested").count() == 6


def test_identical_request_reuses_the_run(version, validation, rita):
    run = run_of(version, "performance")
    again, created = request_run(actor=rita, version=version, kind="performance",
                                 dataset=validation, recipe={"bootstrap": 500})
    assert (again.pk, created) == (run.pk, False)


def test_another_recipe_is_another_run(version, validation, rita):
    run, created = request_run(actor=rita, version=version, kind="performance",
                               dataset=validation, recipe={"bootstrap": 50})
    assert created and run.pk != run_of(version, "performance").pk


def test_unknown_recipe_parameter_is_refused(version, validation, rita):
    with pytest.raises(InvalidRecipe, match="bins_please"):
        request_run(actor=rita, version=version, kind="performance", dataset=validation,
                    recipe={"bins_please": 3})


def test_performance_auc_equals_sklearn(version, credit_frame, xgb_booster):
    run = execute(run_of(version, "performance"))
    expected = roc_auc_score(credit_frame["default"], scores(credit_frame, xgb_booster))
    assert run.status == "succeeded"
    assert run.summary["metrics"]["auc"] == pytest.approx(expected, abs=1e-6)


def test_run_records_versions_timings_and_worker(version):
    run = execute(run_of(version, "performance"))
    assert "shap" in run.library_versions and run.timings["total_s"] > 0
    assert run.device == "cpu" and run.worker_host and run.attempts == 1


def test_start_and_finish_are_audited(version):
    run = execute(run_of(version, "scoring"))
    actions = AuditEvent.objects.filter(target_type="explain.evidencerun", target_id=str(run.pk)
                                        ).order_by("sequence").values_list("action", flat=True)
    assert list(actions) == ["evidence_run.requested", "evidence_run.started",
                             "evidence_run.succeeded"]


def test_scoring_rows_equal_xgboost_predictions(version, credit_frame, xgb_booster):
    rows = result_frame(execute(run_of(version, "scoring")))
    np.testing.assert_allclose(rows["probability"], scores(credit_frame, xgb_booster), rtol=1e-6)


def test_shap_importance_equals_xgboost_pred_contribs(version, credit_frame, xgb_booster):
    import xgboost

    run = execute(run_of(version, "shap"))
    contribs = xgb_booster.predict(xgboost.DMatrix(credit_frame[FEATURES]), pred_contribs=True)
    importance = run.summary["methods"]["tree_path_dependent"]["importance"]
    expected = np.abs(contribs[:, :-1]).mean(axis=0)
    assert [importance[f] for f in FEATURES] == pytest.approx(expected.tolist(), abs=1e-5)


def test_interventional_shap_rows_sum_to_probability(version, credit_frame, xgb_booster):
    rows = result_frame(execute(run_of(version, "shap")))
    columns = [c for c in rows.columns if c.startswith("tree_interventional__")]
    np.testing.assert_allclose(rows[columns].sum(axis=1), scores(credit_frame, xgb_booster),
                               atol=1e-6)


def test_reason_codes_cover_every_declined_applicant(version, credit_frame, xgb_booster):
    run = execute(run_of(version, "reason_codes"))
    assert run.summary["declined"] == int((scores(credit_frame, xgb_booster) >= 0.5).sum())
    assert "sex" in run.summary["excluded"]


def test_fairness_selection_rates_equal_fairlearn(version, credit_frame, xgb_booster):
    from fairlearn.metrics import MetricFrame, selection_rate

    run = execute(run_of(version, "fairness"))
    approved = (scores(credit_frame, xgb_booster) < 0.5).astype(int)
    frame = MetricFrame(metrics=selection_rate, y_true=1 - credit_frame["default"],
                        y_pred=approved, sensitive_features=credit_frame["sex"])
    by_sex = next(g for g in run.summary["groupings"] if g["attributes"] == ["sex"])
    for group in by_sex["groups"]:
        assert group["selection_rate"] == pytest.approx(
            frame.by_group[group["group"]["sex"]], abs=1e-9)


def test_fairness_bins_a_continuous_attribute_and_records_the_edges(version):
    run = execute(run_of(version, "fairness"))
    assert len(run.summary["bins_used"]["age_years"]) == 5
    assert any(g["attributes"] == ["sex", "age_years"] for g in run.summary["groupings"])


def test_drift_of_a_dataset_against_itself_is_zero(version):
    run = execute(run_of(version, "drift"))
    assert {f["psi"] for f in run.summary["features"].values()} == {0.0}


def test_drift_of_a_shifted_dataset_is_significant(version, credit_frame, ci, rita):
    shifted = credit_frame.assign(amount=credit_frame["amount"] * 2)
    run, _ = request_run(actor=rita, version=version, kind="drift",
                         dataset=make_dataset(shifted, ci, name="production"))
    run = execute(run)
    assert run.summary["features"]["amount"]["band"] == "significant shift"


def test_duplicate_message_runs_once(version):
    run = execute(run_of(version, "scoring"))
    from explain.tasks import execute_evidence_run

    assert execute_evidence_run(run.pk, 1).startswith("not claimed")
    assert AuditEvent.objects.filter(action="evidence_run.started").count() == 1


def test_results_are_json_without_nan(version):
    import json

    run = execute(run_of(version, "fairness"))
    json.dumps(run.summary, allow_nan=False)
    assert EvidenceRun.objects.get(pk=run.pk).summary == run.summary


def test_policy_run_that_cannot_apply_is_recorded_not_fatal(credit_model, ci, credit_frame,
                                                           xgb_json):
    from registry.services import VersionMetadata, register_version

    plain = make_dataset(credit_frame, ci, name="no-protected", roles={"target": "default"})
    version, created = register_version(
        actor=ci, model=credit_model, data=xgb_json, filename="model.json",
        metadata=VersionMetadata(validation_dataset=plain.pk), idempotency_key=None,
        max_bytes=10**9)
    assert created and not version.evidence_runs.filter(kind="fairness").exists()
    assert "protected" in AuditEvent.objects.get(action="evidence_run.not_requested").reason


def test_waterfall_adds_up_to_the_applicants_margin(version, credit_frame, xgb_booster):
    import xgboost

    waterfall = execute(run_of(version, "reason_codes")).summary["waterfall"]
    row = credit_frame.iloc[[waterfall["row"]]][FEATURES]
    margin = xgb_booster.predict(xgboost.DMatrix(row), output_margin=True)[0]
    total = waterfall["base_value"] + sum(waterfall["contributions"].values())
    assert total == pytest.approx(float(margin), abs=1e-5)


@pytest.mark.parametrize(("kind", "recipe"), [("fairness", {"bins": 5}), ("drift", {"bins": 0}),
                                              ("drift", {"bins": {"age": [0, 1]}})])
def test_bins_are_edges_for_fairness_and_a_count_for_drift(version, validation, rita, kind,
                                                           recipe):
    with pytest.raises(InvalidRecipe, match="bins"):
        request_run(actor=rita, version=version, kind=kind, dataset=validation, recipe=recipe)
