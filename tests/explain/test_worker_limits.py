"""A worker cannot be stalled by one token: a run whose worker child crashes says so."""

import pytest

from explain.models import EvidenceRun
from explain.services import request_run
from registry.services import VersionMetadata, register_version
from registry.tree_probe import TreeFacts
from tests.worker_process import running_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

FEATURES = ["duration", "amount", "age"]


@pytest.fixture
def no_policy(settings):
    settings.ASSAY_EVIDENCE_POLICY = {1: [], 2: [], 3: []}


@pytest.fixture
def crashing_version(monkeypatch, credit_model, ci, lgbm_text, validation):
    """A truncated LightGBM model, as registered before registration loaded models fully
    (the check is bypassed here to build the state an old database can hold)."""
    monkeypatch.setattr("registry.artifacts._tree_facts",
                        lambda data, fmt: TreeFacts(5, FEATURES))
    version, _ = register_version(
        actor=ci, model=credit_model, data=lgbm_text[: len(lgbm_text) // 2],
        filename="model.txt", metadata=VersionMetadata(), idempotency_key=None,
        max_bytes=10**9)
    return version


def _run(pk) -> EvidenceRun:
    return EvidenceRun.objects.get(pk=pk)


def test_a_run_whose_worker_child_is_killed_by_a_signal_says_so(
        tmp_path, no_policy, crashing_version, validation, rita):
    run, _ = request_run(actor=rita, version=crashing_version, kind="scoring",
                         dataset=validation)
    log = tmp_path / "worker.log"
    with running_worker(log, pool="prefork") as worker:
        assert wait_for(lambda: _run(run.pk).status == "failed", 120), log.read_text()[-3000:]
        assert worker.poll() is None  # the worker itself lives on
    failed = _run(run.pk)
    assert "worker process killed by SIGABRT" in failed.error
    assert failed.attempts == 1 and "heartbeat" not in failed.error


def test_a_run_past_its_soft_time_limit_fails_with_the_reason(tmp_path, no_policy, version,
                                                               validation, rita, settings):
    # The limits travel with the message, so they are the sender's settings.
    settings.ASSAY_EVIDENCE_SOFT_TIME_LIMITS = dict(settings.ASSAY_EVIDENCE_SOFT_TIME_LIMITS,
                                                    performance=1)
    run, _ = request_run(actor=rita, version=version, kind="performance", dataset=validation,
                         recipe={"bootstrap": 10_000})
    log = tmp_path / "worker.log"
    with running_worker(log, pool="prefork") as worker:
        assert wait_for(lambda: _run(run.pk).status == "failed", 120), log.read_text()[-3000:]
        assert worker.poll() is None
    assert _run(run.pk).error.startswith("The performance run went past its time limit "
                                         "and was stopped (1 s, ASSAY_EVIDENCE_SECONDS_")


CANCEL_FAST = {"ASSAY_EVIDENCE_HEARTBEAT_SECONDS": "1"}


def _big_validation(training_frame, ci, rows=20_000):
    import numpy as np

    from tests.explain.conftest import make_dataset

    repeats = rows // len(training_frame)
    frame = training_frame.loc[np.tile(training_frame.index, repeats)].reset_index(drop=True)
    return make_dataset(frame, ci, name="big")


def _cancel_when_computing(run, rita, log, seconds=120):
    from explain.services import cancel_run

    assert wait_for(lambda: _run(run.pk).progress >= 10, seconds), log.read_text()[-3000:]
    cancel_run(actor=rita, run=_run(run.pk), reason="wrong dataset")


def test_cancel_stops_a_long_bootstrap_and_the_next_run_then_completes(
        tmp_path, no_policy, version, training_frame, validation, ci, rita, settings):
    settings.ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS = 600  # it must stop on its own
    big = _big_validation(training_frame, ci)
    long_run, _ = request_run(actor=rita, version=version, kind="performance", dataset=big,
                              recipe={"bootstrap": 10_000})
    next_run, _ = request_run(actor=rita, version=version, kind="scoring", dataset=validation)
    log = tmp_path / "worker.log"
    with running_worker(log, pool="prefork",
                        env=CANCEL_FAST | {"ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS": "600"}):
        _cancel_when_computing(long_run, rita, log)
        assert wait_for(lambda: _run(next_run.pk).status == "succeeded", 120), (
            log.read_text()[-3000:])
    assert _run(long_run.pk).status == "cancelled"
    assert "succeeded in" in log.read_text() and "'cancelled'" in log.read_text()
    assert "terminating task" not in log.read_text()


def test_a_cancelled_run_that_does_not_yield_is_terminated_and_the_worker_freed(
        tmp_path, no_policy, version, training_frame, validation, ci, rita):
    big = _big_validation(training_frame, ci, rows=3_000)
    stuck, _ = request_run(actor=rita, version=version, kind="shap", dataset=big, recipe={
        "methods": ["kernel"], "max_rows": 3_000, "max_evals": 2_000, "background_size": 100,
        "chunk_rows": 10_000})
    next_run, _ = request_run(actor=rita, version=version, kind="scoring", dataset=validation)
    log = tmp_path / "worker.log"
    with running_worker(log, pool="prefork",
                        env=CANCEL_FAST | {"ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS": "2"}) as worker:
        _cancel_when_computing(stuck, rita, log)
        assert wait_for(lambda: _run(next_run.pk).status == "succeeded", 120), (
            log.read_text()[-3000:])
        assert worker.poll() is None
    assert _run(stuck.pk).status == "cancelled"
    assert "terminating task" in log.read_text()
