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
