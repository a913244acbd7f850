"""Bad inputs fail a run with a message a person can act on; dead workers and a broker
that is down lose nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from explain.models import EvidenceRun
from explain.services import (
    cancel_run,
    claim_run,
    dispatch_pending_runs,
    dispatch_run,
    reap_stale_runs,
    request_run,
)
from registry.blobs import blob_storage
from registry.errors import UnknownReference
from tests.explain.conftest import execute, make_dataset, result_frame, run_of


def test_corrupt_artifact_fails_with_the_reason(version):
    with blob_storage().open(version.artifact.storage_name, "wb") as handle:
        handle.write(b'{"learner": ')
    run = execute(run_of(version, "scoring"))
    assert run.status == "failed" and "no longer matches" in run.error


def test_one_class_target_fails_with_the_reason(version, credit_frame, ci, rita):
    dataset = make_dataset(credit_frame.assign(default=0), ci, name="all-good")
    run, _ = request_run(actor=rita, version=version, kind="performance", dataset=dataset)
    run = execute(run)
    assert run.status == "failed" and "only one class" in run.error


def test_dataset_without_a_feature_is_refused_at_request(version, credit_frame, ci, rita):
    dataset = make_dataset(credit_frame.drop(columns=["age"]), ci, name="no-age")
    with pytest.raises(UnknownReference, match="age"):
        request_run(actor=rita, version=version, kind="scoring", dataset=dataset)


def test_failure_is_audited_with_the_message(version, credit_frame, ci, rita):
    dataset = make_dataset(credit_frame.assign(default=1), ci, name="all-bad")
    run, _ = request_run(actor=rita, version=version, kind="fairness", dataset=dataset)
    execute(run)
    assert "only one class" in AuditEvent.objects.get(action="evidence_run.failed").reason


def test_missing_values_are_scored_by_trees_and_reported(version, credit_frame, ci, rita):
    holes = credit_frame.copy()
    holes.loc[holes.index[:7], "amount"] = None
    run, _ = request_run(actor=rita, version=version, kind="reason_codes",
                         dataset=make_dataset(holes, ci, name="holes"))
    run = execute(run)
    assert run.status == "succeeded" and run.summary["rows_with_missing_values"] == 7


def test_large_dataset_is_chunked_and_merged_like_one_piece(version, validation, rita,
                                                           settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the chunk tasks run inline, in order
    whole = execute(run_of(version, "scoring"))
    chunked, _ = request_run(actor=rita, version=version, kind="scoring", dataset=validation,
                             recipe={"chunk_rows": 70})
    chunked = execute(chunked)
    assert (chunked.status, chunked.chunks_total, chunked.chunks_done) == ("succeeded", 5, 5)
    assert result_frame(chunked).equals(result_frame(whole))


def test_merge_deletes_the_chunks_of_every_attempt(version, validation, rita, settings):
    from django.core.files.base import ContentFile

    settings.CELERY_TASK_ALWAYS_EAGER = True
    run, _ = request_run(actor=rita, version=version, kind="scoring", dataset=validation,
                         recipe={"chunk_rows": 100})
    abandoned = f"evidence/run-{run.pk}/attempt-0/chunk-00000.parquet"  # a dead worker's
    blob_storage().save(abandoned, ContentFile(b"partial"))
    execute(run)
    assert blob_storage().listdir(f"evidence/run-{run.pk}/attempt-0")[1] == []
    assert blob_storage().listdir(f"evidence/run-{run.pk}/attempt-1")[1] == []


def _stale(run, seconds=3600):
    claim_run(run.pk, 1, worker_host="gone@host")
    EvidenceRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def test_reaper_queues_a_run_whose_worker_died(version, django_capture_on_commit_callbacks):
    run = run_of(version, "scoring")
    _stale(run)
    with django_capture_on_commit_callbacks(execute=False):
        assert reap_stale_runs() == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, run.dispatched_at) == ("queued", 1, None)


def test_requeued_run_finishes_on_its_next_attempt(version):
    run = run_of(version, "scoring")
    _stale(run)
    reap_stale_runs()
    run = execute(run)
    assert (run.status, run.attempts) == ("succeeded", 2)


def test_reaper_leaves_a_beating_run_alone(version):
    run = run_of(version, "scoring")
    claim_run(run.pk, 1, worker_host="alive@host")
    assert reap_stale_runs() == 0


def test_reaper_gives_up_after_the_last_attempt(version, settings):
    settings.ASSAY_EVIDENCE_MAX_ATTEMPTS = 1
    run = run_of(version, "scoring")
    _stale(run)
    reap_stale_runs()
    run.refresh_from_db()
    assert run.status == "failed" and "Gave up after 1 attempts" in run.error


def test_broker_down_leaves_the_run_undispatched(version, monkeypatch):
    from explain.tasks import execute_evidence_run

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(execute_evidence_run, "apply_async", refuse)
    run = run_of(version, "scoring")
    assert dispatch_run(run.pk) is False
    assert EvidenceRun.objects.get(pk=run.pk).dispatched_at is None


def test_sweeper_dispatches_what_the_broker_missed(version, monkeypatch):
    from explain.tasks import execute_evidence_run

    sent = []
    monkeypatch.setattr(execute_evidence_run, "apply_async", lambda **kw: sent.append(kw))
    assert dispatch_pending_runs() == 6
    assert sorted(kw["args"][0] for kw in sent) == sorted(
        version.evidence_runs.values_list("pk", flat=True))


def test_cancelled_run_is_not_started(version, rita):
    run = cancel_run(actor=rita, run=run_of(version, "scoring"), reason="wrong dataset")
    assert execute(run).status == "cancelled"
    assert AuditEvent.objects.get(action="evidence_run.cancelled").reason == "wrong dataset"


def test_empty_bin_of_a_protected_attribute_degrades_not_crashes(version, validation, rita):
    run, _ = request_run(actor=rita, version=version, kind="fairness", dataset=validation,
                         recipe={"bins": {"age_years": [0, 18, 120]}})
    run = execute(run)
    by_age = next(g for g in run.summary["groupings"] if g["attributes"] == ["age_years"])
    assert run.status == "succeeded"
    assert [g["group"]["age_years"] for g in by_age["groups"]] == ["18-120"]


def test_group_with_one_outcome_has_undefined_rates_not_zero(version, credit_frame, ci, rita):
    frame = credit_frame.copy()
    frame.loc[frame["sex"] == "female", "default"] = 0  # no bad payer among women
    run, _ = request_run(actor=rita, version=version, kind="fairness",
                         dataset=make_dataset(frame, ci, name="no-bad-women"))
    run = execute(run)
    women = next(g for g in run.summary["groupings"][0]["groups"]
                 if g["group"] == {"sex": "female"})
    assert women["fpr"] is None and women["auc"] is None and women["tpr"] is not None
