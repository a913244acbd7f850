"""Celery tasks for evidence runs: thin, by id, idempotent.

A message names (run id, attempt). ``claim_run`` starts an attempt once, so a
duplicate or redelivered message does nothing. While an attempt works, a heartbeat
thread touches the run; a worker killed mid-run stops beating and the reaper
(``reap_stale_evidence_runs``, every ASSAY_EVIDENCE_REAPER_SECONDS on the beat
schedule) queues the next attempt. Only named transient errors (database connection,
storage I/O) requeue from inside the task; input errors fail the run with a message.
"""

import logging
import re
import socket
import threading
import time
from datetime import timedelta

from billiard.exceptions import WorkerLostError
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.worker.request import Request
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from kombu.exceptions import OperationalError as KombuOperationalError

from audit.context import change_context
from explain import charts, execution, selectors, services
from explain.errors import EvidenceInputError, RunCancelled
from explain.models import EvidenceRun
from explain.versions import library_versions
from registry.blobs import blob_storage, blob_transaction, store_blob

logger = logging.getLogger(__name__)

# Database connection, broker (sending chunk tasks) and storage I/O hiccups.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, KombuOperationalError, ConnectionError,
                    TimeoutError)


class Heartbeat:
    """Touch the run every ASSAY_EVIDENCE_HEARTBEAT_SECONDS from a thread, so a long engine
    call does not look like a dead worker. Once the run was cancelled (or taken over by a
    later attempt) ``cancelled`` turns true and ``check()`` raises RunCancelled at the
    work's next cooperative check; work that does not get there within
    ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS (stuck in one long native call) is terminated:
    the thread asks the worker to revoke its own task with terminate, so the prefork
    pool kills this child process and starts a fresh one for the next task."""

    def __init__(self, run_id: int, attempt: int, task_id: str | None = None,
                 soft_limit: float | None = None):
        self.run_id, self.attempt, self.task_id = run_id, attempt, task_id
        self.cancelled = False
        # Celery raises SoftTimeLimitExceeded from a signal handler, which is lost when it
        # lands in a native callback; the cooperative checks enforce the limit as well
        # (and so does the solo pool, which has no time limits of its own).
        self.deadline = time.monotonic() + soft_limit if soft_limit else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"heartbeat-{run_id}")

    def check(self) -> None:
        if self.cancelled:
            raise RunCancelled(f"evidence run {self.run_id} attempt {self.attempt} was "
                               "cancelled")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SoftTimeLimitExceeded()

    def _loop(self):
        try:
            while not self._stop.wait(settings.ASSAY_EVIDENCE_HEARTBEAT_SECONDS):
                try:
                    if not services.beat(self.run_id, self.attempt):
                        self.cancelled = True
                        break
                except TRANSIENT_ERRORS as error:
                    logger.warning("heartbeat of run %s failed: %s", self.run_id, error)
            if self.cancelled and not self._stop.wait(
                    settings.ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS):
                self._terminate()
        finally:
            connection.close()

    def _terminate(self) -> None:
        if not self.task_id:
            return
        from celery import current_app

        logger.warning("evidence run %s attempt %s did not stop within %s s of its "
                       "cancellation; terminating task %s", self.run_id, self.attempt,
                       settings.ASSAY_EVIDENCE_CANCEL_GRACE_SECONDS, self.task_id)
        try:
            current_app.control.revoke(self.task_id, terminate=True, signal="SIGKILL")
        except Exception as error:  # kombu raises many kinds when the broker is unreachable
            logger.warning("could not terminate task %s: %s", self.task_id, error)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


_LOST_SIGNAL = re.compile(r"signal \d+ \((SIG[A-Z0-9]+)\)")


class EvidenceRequest(Request):
    """Runs in the worker's main process. When the child process running an evidence
    task dies (a native crash, the OOM killer), Celery requeues the message, which the
    run then ignores as a duplicate; without this the run would wait for the reaper and
    end with a misleading "no heartbeat". Here the run learns the signal instead."""

    def on_failure(self, exc_info, send_failed_event=True, return_ok=False):
        error = getattr(exc_info, "exception", None)
        error = getattr(error, "exc", error)  # ExceptionWithTraceback wraps it
        if isinstance(error, WorkerLostError):
            _record_on_run(self.args, error)
        return super().on_failure(exc_info, send_failed_event=send_failed_event,
                                  return_ok=return_ok)

    def on_timeout(self, soft, timeout):
        if not soft:  # the pool killed the child; the task itself cannot report it
            _record_on_run(self.args, TimeLimitExceeded(timeout))
        return super().on_timeout(soft, timeout)


def _record_on_run(args, error: BaseException) -> None:
    if not args or len(args) < 2:
        return
    run_id, attempt = args[0], args[1]
    try:
        close_old_connections()
        with change_context("worker"):
            if isinstance(error, TimeLimitExceeded):
                limit = error.args[0] if error.args else None
                services.fail_run(run_id, attempt, services.time_limit_message(
                    _kind_of(run_id), hard=True,
                    seconds=limit if isinstance(limit, int | float) else None))
            elif isinstance(error, WorkerLostError):
                match = _LOST_SIGNAL.search(str(error))
                services.worker_process_lost(run_id, attempt, match and match.group(1),
                                             str(error))
    except Exception:  # the worker's main process must survive whatever happens here
        logger.exception("could not record the loss of run %s attempt %s", run_id, attempt)


def _soft_limit(task) -> float | None:
    limits = getattr(task.request, "timelimit", None) or (None, None)
    return limits[1] if len(limits) > 1 else None


def _kind_of(run_id: int) -> str:
    return EvidenceRun.objects.values_list("kind", flat=True).get(pk=run_id)


def _worker_host(task) -> str:
    return getattr(task.request, "hostname", None) or socket.gethostname()


def _device() -> str:
    return "cpu"


def _store_result(run_id: int, attempt: int, rows, summary: dict, timings: dict,
                  started: float) -> None:
    summary = execution.json_safe(summary)
    drawn = time.perf_counter()
    run = EvidenceRun.objects.select_related("dataset", "version").get(pk=run_id)
    drawings = charts.draw_all(run.kind, summary, selectors.chart_context(run))
    timings["charts_s"] = round(time.perf_counter() - drawn, 4)
    stored = time.perf_counter()
    with blob_transaction():
        blob = store_blob(execution.to_parquet(rows)) if rows is not None else None
        timings["store_s"] = round(time.perf_counter() - stored, 4)
        timings["total_s"] = round(time.perf_counter() - started, 4)
        services.finish_run(run_id, attempt, summary=summary, charts=drawings,
                            result_blob=blob, timings=timings, device=_device(),
                            library_versions=library_versions())


def _raised_within(error: BaseException | None, kind: type) -> bool:
    """True if ``error`` is ``kind`` or was raised while handling one: the engines wrap
    the frameworks' errors (``raise ModelLoadError(...) from None`` keeps __context__),
    and a time limit or a cancellation may strike inside such a block."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, kind):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _guarded(run_id: int, attempt: int, work, soft_limit: float | None = None) -> str:
    """Run ``work`` and turn its errors into the run's state."""
    try:
        return _stopped_or_raise(work)
    except RunCancelled:
        logger.info("evidence run %s attempt %s stopped: cancelled", run_id, attempt)
        return "cancelled"
    except EvidenceInputError as error:
        services.fail_run(run_id, attempt, str(error))
        return "failed"
    except SoftTimeLimitExceeded:
        services.fail_run(run_id, attempt, services.time_limit_message(
            _kind_of(run_id), hard=False, seconds=soft_limit))
        return "failed"
    except TRANSIENT_ERRORS as error:
        close_old_connections()
        logger.warning("evidence run %s attempt %s: transient error %r", run_id, attempt, error)
        services.requeue_run(run_id, attempt, f"transient error: {error}")
        return "requeued"
    except ValueError as error:  # the engines' refusals of data they cannot use
        services.fail_run(run_id, attempt, f"The data cannot give this evidence: {error}")
        return "failed"
    except Exception as error:
        logger.exception("evidence run %s attempt %s failed", run_id, attempt)
        services.fail_run(run_id, attempt, f"Internal error ({type(error).__name__}: {error}); "
                                           "the traceback is in the worker's log.")
        return "failed"


def _stopped_or_raise(work):
    try:
        return work()
    except Exception as error:
        if _raised_within(error, RunCancelled):
            raise RunCancelled(str(error)) from error
        if _raised_within(error, SoftTimeLimitExceeded):
            raise SoftTimeLimitExceeded() from error
        raise


@shared_task(bind=True, acks_late=True, name="explain.execute_evidence_run",
             Request=EvidenceRequest)
def execute_evidence_run(self, run_id: int, attempt: int) -> str:
    run = services.claim_run(run_id, attempt, worker_host=_worker_host(self))
    if run is None:
        return "not claimed (duplicate, outdated or cancelled)"
    started = time.perf_counter()
    with change_context("worker"), Heartbeat(run_id, attempt, self.request.id,
                                                     _soft_limit(self)) as heartbeat:
        def work():
            services.beat(run_id, attempt, 5, "loading the artifact and datasets")
            inputs = execution.load_inputs(run)
            inputs.check_stop = heartbeat.check
            heartbeat.check()
            timings = {"load_s": round(time.perf_counter() - started, 4)}
            bounds = execution.chunk_bounds(inputs)
            if len(bounds) > 1:
                _fan_out(run, attempt, len(bounds))
                return f"split into {len(bounds)} chunks"
            services.beat(run_id, attempt, 10, f"computing {run.get_kind_display().lower()}")
            computed = time.perf_counter()
            if run.kind in execution.ROW_FUNCTIONS:
                rows_of, summarize = execution.ROW_FUNCTIONS[run.kind]
                rows = rows_of(inputs, *bounds[0])
                summary = summarize(inputs, rows)
            else:
                rows, summary = execution.AGGREGATE_FUNCTIONS[run.kind](inputs)
            timings["compute_s"] = round(time.perf_counter() - computed, 4)
            heartbeat.check()
            services.beat(run_id, attempt, 95, "storing the results")
            _store_result(run_id, attempt, rows, summary, timings, started)
            return "succeeded"

        return _guarded(run_id, attempt, work, _soft_limit(self))


def _chunk_name(run_id: int, attempt: int, index: int) -> str:
    # One folder per run and attempt: _delete_chunk_files relies on this layout.
    return f"evidence/run-{run_id}/attempt-{attempt}/chunk-{index:05d}.parquet"


def _fan_out(run: EvidenceRun, attempt: int, chunks: int) -> None:
    EvidenceRun.objects.filter(pk=run.pk, attempts=attempt).update(
        chunks_total=chunks, chunks_done=0, stage=f"0 of {chunks} chunks done")
    for index in range(chunks):
        execute_evidence_chunk.apply_async(args=[run.pk, attempt, index],
                                           queue=services.queue_for(run),
                                           **services.time_limits(run.kind))


@shared_task(bind=True, acks_late=True, name="explain.execute_evidence_chunk",
             Request=EvidenceRequest)
def execute_evidence_chunk(self, run_id: int, attempt: int, index: int) -> str:
    """One slice of a row-wise run; the chunk that completes the set merges them
    (a chord whose fan-in lives in the run row, so no result backend is needed)."""
    run = EvidenceRun.objects.select_related(
        "version__artifact", "dataset__blob", "reference_dataset__blob").filter(
        pk=run_id, attempts=attempt, status=EvidenceRun.Status.RUNNING).first()
    if run is None:
        return "run no longer running"
    started = time.perf_counter()
    with change_context("worker"), Heartbeat(run_id, attempt, self.request.id,
                                                     _soft_limit(self)) as heartbeat:
        def work():
            inputs = execution.load_inputs(run)
            inputs.check_stop = heartbeat.check
            heartbeat.check()
            start, stop = execution.chunk_bounds(inputs)[index]
            rows = execution.ROW_FUNCTIONS[run.kind][0](inputs, start, stop)
            storage, name = blob_storage(), _chunk_name(run_id, attempt, index)
            if storage.exists(name):  # a redelivered chunk writes the same rows again
                storage.delete(name)
            storage.save(name, ContentFile(execution.to_parquet(rows)))
            if not _count_chunk(run_id, attempt):
                return f"chunk {index} done"
            return _merge(inputs, run_id, attempt, started)

        return _guarded(run_id, attempt, work, _soft_limit(self))


def _count_chunk(run_id: int, attempt: int) -> bool:
    """Count the chunk files present (duplicates count once); True for the one caller
    that finds the set complete and so must merge."""
    storage = blob_storage()
    with transaction.atomic():
        run = EvidenceRun.objects.select_for_update().get(pk=run_id)
        if run.attempts != attempt or run.status != EvidenceRun.Status.RUNNING:
            return False
        done = sum(storage.exists(_chunk_name(run_id, attempt, i))
                   for i in range(run.chunks_total))
        merging = done == run.chunks_total and run.chunks_done < run.chunks_total
        run.chunks_done = done
        run.progress = 10 + int(80 * done / max(run.chunks_total, 1))
        run.stage = "merging the chunks" if merging else f"{done} of {run.chunks_total} " \
                                                         "chunks done"
        run.save(update_fields=["chunks_done", "progress", "stage"])
    return merging


def _merge(inputs, run_id: int, attempt: int, started: float) -> str:
    import pandas as pd

    storage = blob_storage()
    run = EvidenceRun.objects.get(pk=run_id)
    names = [_chunk_name(run_id, attempt, i) for i in range(run.chunks_total)]
    parts = []
    for name in names:
        with storage.open(name, "rb") as handle:
            parts.append(pd.read_parquet(handle))
    rows = pd.concat(parts, ignore_index=True)
    summary = execution.ROW_FUNCTIONS[run.kind][1](inputs, rows)
    elapsed = (run.heartbeat_at - run.started_at).total_seconds() if run.started_at else 0
    _store_result(run_id, attempt, rows, summary | {"chunks": run.chunks_total},
                  {"chunks": run.chunks_total, "wall_before_merge_s": round(elapsed, 4)},
                  started)
    _delete_chunk_files(run_id)
    return "merged"


def _delete_chunk_files(run_id: int) -> None:
    """The merged Parquet is the result; chunk files of this attempt and of attempts a
    dead worker abandoned are scratch."""
    storage, folder = blob_storage(), f"evidence/run-{run_id}"
    try:
        attempts, _ = storage.listdir(folder)
    except FileNotFoundError:
        return
    for attempt_folder in attempts:
        for name in storage.listdir(f"{folder}/{attempt_folder}")[1]:
            storage.delete(f"{folder}/{attempt_folder}/{name}")


@shared_task(name="explain.reap_stale_evidence_runs")
def reap_stale_evidence_runs() -> int:
    with change_context("worker"):
        return services.reap_stale_runs()


@shared_task(name="explain.dispatch_pending_evidence_runs")
def dispatch_pending_evidence_runs() -> int:
    return services.dispatch_pending_runs(older_than=timedelta(seconds=30))
