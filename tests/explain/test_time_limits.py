"""Each evidence kind has a soft and a hard time limit; a run past either fails saying so."""

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from explain import execution, services
from explain.tasks import _record_on_run
from tests.explain.conftest import execute, run_of


def test_runs_are_sent_with_their_kinds_time_limits(settings):
    settings.ASSAY_EVIDENCE_SOFT_TIME_LIMITS = {"shap": 100}
    settings.ASSAY_EVIDENCE_HARD_LIMIT_EXTRA_SECONDS = 20
    assert services.time_limits("shap") == {"soft_time_limit": 100, "time_limit": 120}


def test_soft_time_limit_fails_the_run_with_the_reason(version, monkeypatch):
    def too_slow(inputs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(execution.AGGREGATE_FUNCTIONS, "performance", too_slow)
    run = execute(run_of(version, "performance"))
    assert run.status == "failed"
    assert "went past its time limit and was stopped (900 s" in run.error


def test_hard_time_limit_reported_by_the_worker_fails_the_run(version, monkeypatch):
    # The worker's main process recycles its connection; the test's is inside a transaction.
    monkeypatch.setattr("explain.tasks.close_old_connections", lambda: None)
    run = run_of(version, "performance")
    assert services.claim_run(run.pk, 1, worker_host="w") is not None
    _record_on_run([run.pk, 1], TimeLimitExceeded(960))
    run.refresh_from_db()
    assert run.status == "failed"
    assert "did not stop at its time limit and was killed (960 s" in run.error
