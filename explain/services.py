"""Every write of evidence runs: request, dispatch, claim, progress, finish, fail,
requeue, cancel. State changes a reviewer cares about are audited in the same
transaction; progress and heartbeats are bookkeeping and are not.

The run row is the source of truth, not the broker: a run is created and committed
first, then handed to the broker (``dispatched_at``). A broker that is down leaves
it undispatched, and ``dispatch_pending_runs`` sends it later; a worker that dies
stops its heartbeat, and ``reap_stale_runs`` queues the run again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import record_event
from explain.engines.scoring import TREE_FORMATS
from explain.errors import RunNotCancellable
from explain.models import EvidenceRun, ReasonText
from explain.recipes import DEFAULT_THRESHOLD, build_recipe, check_chunk_count, fingerprint
from registry.broker import send_quietly
from registry.errors import UnknownReference
from registry.models import Dataset, ModelVersion

logger = logging.getLogger(__name__)

NEEDS_TARGET = ("performance", "fairness")


def _run_document(run: EvidenceRun) -> dict:
    return {"kind": run.kind, "version": str(run.version), "dataset": run.dataset_id,
            "reference_dataset": run.reference_dataset_id, "input_hashes": run.input_hashes,
            "recipe": run.recipe, "fingerprint": run.fingerprint, "trigger": run.trigger}


def resolved_defaults(version: ModelVersion, dataset: Dataset) -> dict:
    """What the version, its model and the dataset imply for a recipe."""
    tree = version.artifact_format in TREE_FORMATS
    texts = list(ReasonText.objects.filter(model_id=version.model_id))
    protected = [c["name"] for c in dataset.columns if c["role"] == "protected"]
    threshold = version.params.get("decision_threshold", DEFAULT_THRESHOLD)
    return {
        "threshold": threshold if isinstance(threshold, int | float) else DEFAULT_THRESHOLD,
        "methods": ["tree_path_dependent", "tree_interventional"] if tree else ["permutation"],
        "method": "tree_path_dependent" if tree else "permutation",
        "excluded": sorted(set(protected) | {t.feature for t in texts if t.excluded}),
        "reason_texts": {t.feature: t.text for t in texts if not t.excluded},
    }


def _check_inputs(kind: str, version: ModelVersion, dataset: Dataset,
                  reference: Dataset | None) -> None:
    """Refuse at request time what would only fail later on the worker."""
    names = {c["name"] for c in dataset.columns}
    if kind != "drift":
        missing = [f for f in version.feature_names if f not in names]
        if missing:
            raise UnknownReference(f"Dataset {dataset.pk} ({dataset.name}) lacks feature(s) "
                                   f"{version} needs: {', '.join(missing[:20])}.",
                                   field="dataset", missing_columns=missing)
    if kind in NEEDS_TARGET and not any(c["role"] == "target" for c in dataset.columns):
        raise UnknownReference(f"{kind} evidence needs a dataset with a target column; "
                               f"dataset {dataset.pk} has none (declare roles.target on upload).",
                               field="dataset")
    if kind == "fairness" and not any(c["role"] == "protected" for c in dataset.columns):
        raise UnknownReference(f"fairness evidence needs protected columns; dataset "
                               f"{dataset.pk} declares none (roles.protected).", field="dataset")
    if kind == "drift" and reference is None:
        raise UnknownReference("drift evidence needs a reference dataset (the version's "
                               "training dataset, or reference_dataset).",
                               field="reference_dataset")


def request_run(*, actor, version: ModelVersion, kind: str, dataset: Dataset,
                reference_dataset: Dataset | None = None, recipe: dict | None = None,
                trigger: str = "api") -> tuple[EvidenceRun, bool]:
    """Create a run, or return the identical one (same inputs and recipe) that is
    queued, running or succeeded; (run, created)."""
    if kind == "drift":
        reference_dataset = reference_dataset or version.training_dataset
    if kind == "shap" and reference_dataset is None:
        reference_dataset = version.training_dataset
    _check_inputs(kind, version, dataset, reference_dataset)
    full_recipe = build_recipe(kind, recipe, resolved=resolved_defaults(version, dataset))
    check_chunk_count(kind, full_recipe, dataset.row_count)
    hashes = {"artifact": version.artifact.sha256, "dataset": dataset.blob.sha256}
    if reference_dataset is not None:
        hashes["reference_dataset"] = reference_dataset.blob.sha256
    run_fingerprint = fingerprint(kind, hashes, full_recipe)
    with transaction.atomic():
        # The version row lock makes "find identical, else create" safe under concurrency.
        ModelVersion.objects.select_for_update().filter(pk=version.pk).first()
        existing = EvidenceRun.objects.filter(
            version=version, fingerprint=run_fingerprint,
            status__in=(*EvidenceRun.ACTIVE, EvidenceRun.Status.SUCCEEDED)).first()
        if existing:
            return existing, False
        run = EvidenceRun.objects.create(
            version=version, kind=kind, dataset=dataset, reference_dataset=reference_dataset,
            input_hashes=hashes, recipe=full_recipe, fingerprint=run_fingerprint, trigger=trigger,
            requested_by=actor if actor and actor.is_authenticated else None)
        record_event(actor=actor, action="evidence_run.requested", target=run,
                     after=_run_document(run))
        transaction.on_commit(lambda: dispatch_run(run.pk))
    return run, True


def policy_kinds(tier: int) -> tuple[str, ...]:
    return tuple(settings.ASSAY_EVIDENCE_POLICY.get(tier, ()))


def request_policy_runs(*, actor, version: ModelVersion) -> list[EvidenceRun]:
    """The runs the model's tier asks for, on the version's validation dataset (else its
    training dataset); drift compares it with the training dataset."""
    dataset = version.validation_dataset or version.training_dataset
    if dataset is None:
        return []
    runs = []
    for kind in policy_kinds(version.model.risk_tier):
        if kind == "drift" and (version.training_dataset is None
                                or version.validation_dataset is None):
            continue
        try:
            run, _ = request_run(actor=actor, version=version, kind=kind, dataset=dataset,
                                 trigger="policy")
        except UnknownReference as error:
            # e.g. no protected column for fairness: the registration stands, the gap is
            # recorded (the workflow's evidence gate will show it as missing).
            record_event(actor=actor, action="evidence_run.not_requested", target=version,
                         after={"kind": kind, "dataset": dataset.pk}, reason=error.detail)
            continue
        runs.append(run)
    return runs


# ---- dispatch (outbox) ---------------------------------------------------------------------

def queue_for(run: EvidenceRun) -> str:
    """Every run goes to the CPU queue for now; the GPU TreeSHAP engine (its own issue)
    will route tree-SHAP and scoring runs with a CUDA device to ``gpu``."""
    return "cpu"


def time_limits(kind: str) -> dict:
    """Celery's per-task options: soft limit (the task is told) and hard limit (killed)."""
    soft = settings.ASSAY_EVIDENCE_SOFT_TIME_LIMITS[kind]
    return {"soft_time_limit": soft,
            "time_limit": soft + settings.ASSAY_EVIDENCE_HARD_LIMIT_EXTRA_SECONDS}


def time_limit_message(kind: str, hard: bool, seconds: float | None = None) -> str:
    """``seconds``: the limit the task ran under (it came with the message); by default
    this process's setting."""
    if seconds is None:
        soft = settings.ASSAY_EVIDENCE_SOFT_TIME_LIMITS[kind]
        seconds = soft + settings.ASSAY_EVIDENCE_HARD_LIMIT_EXTRA_SECONDS if hard else soft
    seconds = int(seconds) if float(seconds).is_integer() else seconds
    what = "did not stop at its time limit and was killed" if hard else \
        "went past its time limit and was stopped"
    return (f"The {kind} run {what} ({seconds} s, ASSAY_EVIDENCE_SECONDS_{kind.upper()}). "
            "Ask for fewer rows, evaluations or resamples, or a smaller dataset.")


def dispatch_run(run_id: int, *, respect_backoff: bool = True) -> bool:
    """Hand a queued run to the broker; False (and the run stays undispatched) if the
    broker cannot be reached, or could not a moment ago (``registry.broker``). Never
    raises: the run is already safely committed and the sweeper sends it later."""
    from explain.tasks import execute_evidence_run

    run = EvidenceRun.objects.filter(pk=run_id, status=EvidenceRun.Status.QUEUED).first()
    if run is None:
        return False
    if not send_quietly(execute_evidence_run, args=[run.pk, run.attempts + 1],
                        queue=queue_for(run), respect_backoff=respect_backoff,
                        **time_limits(run.kind)):
        return False
    EvidenceRun.objects.filter(pk=run_id, status=EvidenceRun.Status.QUEUED).update(
        dispatched_at=timezone.now())
    return True


def dispatch_pending_runs(older_than: timedelta = timedelta(0)) -> int:
    """The sweeper: send every queued run the broker has not taken yet; stop at the
    first that fails (the broker is down: the next sweep tries again)."""
    cutoff = timezone.now() - older_than
    pending = EvidenceRun.objects.filter(status=EvidenceRun.Status.QUEUED,
                                         dispatched_at__isnull=True,
                                         created_at__lte=cutoff).values_list("pk", flat=True)
    sent = 0
    for run_id in list(pending):
        if not dispatch_run(run_id, respect_backoff=False):
            if EvidenceRun.objects.filter(pk=run_id, status=EvidenceRun.Status.QUEUED).exists():
                break
            continue
        sent += 1
    return sent


# ---- worker side ---------------------------------------------------------------------------

def claim_run(run_id: int, attempt: int, *, worker_host: str) -> EvidenceRun | None:
    """Start ``attempt`` of a run, once. A duplicate or outdated message claims nothing."""
    now = timezone.now()
    with transaction.atomic():
        claimed = EvidenceRun.objects.filter(
            pk=run_id, status=EvidenceRun.Status.QUEUED, attempts=attempt - 1).update(
            status=EvidenceRun.Status.RUNNING, attempts=attempt, started_at=now,
            heartbeat_at=now, worker_host=worker_host, progress=0, stage="starting",
            error="", chunks_total=0, chunks_done=0)
        if not claimed:
            return None
        run = EvidenceRun.objects.select_related("version__model", "dataset__blob",
                                                 "reference_dataset__blob",
                                                 "version__artifact").get(pk=run_id)
        record_event(actor=None, action="evidence_run.started", target=run,
                     after={"attempt": attempt, "worker_host": worker_host})
    return run


def beat(run_id: int, attempt: int, progress: int | None = None, stage: str = "") -> bool:
    """Heartbeat (and progress); False when the run was cancelled or taken from us."""
    fields: dict = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields["progress"] = max(0, min(100, int(progress)))
    if stage:
        fields["stage"] = stage[:200]
    return bool(EvidenceRun.objects.filter(pk=run_id, attempts=attempt,
                                           status=EvidenceRun.Status.RUNNING).update(**fields))


def finish_run(run_id: int, attempt: int, *, summary: dict, result_blob, timings: dict,
               device: str, library_versions: dict, charts: dict | None = None) -> bool:
    with transaction.atomic():
        run = EvidenceRun.objects.select_for_update().filter(
            pk=run_id, attempts=attempt, status=EvidenceRun.Status.RUNNING).first()
        if run is None:
            return False
        run.status = EvidenceRun.Status.SUCCEEDED
        run.summary, run.result_blob, run.timings = summary, result_blob, timings
        run.charts = charts or {}
        run.device, run.library_versions = device, library_versions
        run.progress, run.stage, run.finished_at = 100, "done", timezone.now()
        run.save()
        record_event(actor=None, action="evidence_run.succeeded", target=run, after={
            "attempt": attempt, "timings": timings, "device": device,
            "result_sha256": result_blob.sha256 if result_blob else None,
            "charts": sorted(run.charts)})
    return True


def fail_run(run_id: int, attempt: int, message: str) -> bool:
    with transaction.atomic():
        run = EvidenceRun.objects.select_for_update().filter(
            pk=run_id, attempts=attempt, status=EvidenceRun.Status.RUNNING).first()
        if run is None:
            return False
        run.status, run.error, run.finished_at = EvidenceRun.Status.FAILED, message, \
            timezone.now()
        run.stage = "failed"
        run.save()
        record_event(actor=None, action="evidence_run.failed", target=run,
                     after={"attempt": attempt}, reason=message)
    return True


def requeue_run(run_id: int, attempt: int, reason: str) -> bool:
    """Give a running attempt up and queue the next one, or fail the run when
    ASSAY_EVIDENCE_MAX_ATTEMPTS are used up."""
    with transaction.atomic():
        run = EvidenceRun.objects.select_for_update().filter(
            pk=run_id, attempts=attempt, status=EvidenceRun.Status.RUNNING).first()
        if run is None:
            return False
        if attempt >= settings.ASSAY_EVIDENCE_MAX_ATTEMPTS:
            run.status, run.finished_at, run.stage = EvidenceRun.Status.FAILED, \
                timezone.now(), "failed"
            run.error = f"Gave up after {attempt} attempts; the last: {reason}"
            run.save()
            record_event(actor=None, action="evidence_run.failed", target=run,
                         after={"attempt": attempt}, reason=run.error)
            return True
        run.status, run.dispatched_at, run.progress = EvidenceRun.Status.QUEUED, None, 0
        run.stage = f"queued again after attempt {attempt}"
        run.save()
        record_event(actor=None, action="evidence_run.requeued", target=run,
                     after={"attempt": attempt}, reason=reason)
        transaction.on_commit(lambda: dispatch_run(run_id))
    return True


# A process killed by one of these crashed on its own: the next attempt would crash too.
CRASH_SIGNALS = ("SIGSEGV", "SIGABRT", "SIGBUS", "SIGFPE", "SIGILL")


def worker_process_lost(run_id: int, attempt: int, signal_name: str | None,
                        detail: str) -> bool:
    """The worker's child process running this attempt died (Celery's WorkerLostError).
    A crash (SIGSEGV, SIGABRT...) fails the run at once with the signal named; any other
    death (SIGKILL from the OOM killer, an exit) queues the next attempt."""
    message = (f"worker process killed by {signal_name}" if signal_name
               else f"worker process exited ({detail})")
    if signal_name in CRASH_SIGNALS:
        return fail_run(run_id, attempt, f"The {message} while computing this run; the "
                                         "artifact or dataset crashes the native library "
                                         "that reads it, so it was not retried.")
    return requeue_run(run_id, attempt, message)


def reap_stale_runs() -> int:
    """Runs whose worker stopped sending heartbeats (killed, out of memory, host lost)."""
    cutoff = timezone.now() - timedelta(seconds=settings.ASSAY_EVIDENCE_HEARTBEAT_TIMEOUT)
    stale = list(EvidenceRun.objects.filter(status=EvidenceRun.Status.RUNNING,
                                            heartbeat_at__lt=cutoff)
                 .values_list("pk", "attempts", "heartbeat_at", "worker_host"))
    return sum(requeue_run(pk, attempt, f"worker {host or '?'} sent no heartbeat since "
                                        f"{last:%Y-%m-%d %H:%M:%S} UTC")
               for pk, attempt, last, host in stale)


def cancel_run(*, actor, run: EvidenceRun, reason: str = "") -> EvidenceRun:
    with transaction.atomic():
        run = EvidenceRun.objects.select_for_update().get(pk=run.pk)
        if not run.is_active:
            raise RunNotCancellable(f"Evidence run {run.pk} is {run.status}.")
        before = run.status
        run.status, run.finished_at, run.stage = EvidenceRun.Status.CANCELLED, \
            timezone.now(), "cancelled"
        run.save()
        record_event(actor=actor, action="evidence_run.cancelled", target=run,
                     before={"status": before}, after={"status": run.status}, reason=reason)
    return run


def set_reason_texts(*, actor, model, texts: dict[str, str], excluded: list[str] = (),
                     reason: str = "") -> None:
    """Replace the model's reason-text table (the owner maintains it)."""
    with transaction.atomic():
        before = {t.feature: {"text": t.text, "excluded": t.excluded}
                  for t in ReasonText.objects.filter(model=model)}
        ReasonText.objects.filter(model=model).delete()
        features = set(texts) | set(excluded)
        ReasonText.objects.bulk_create([
            ReasonText(model=model, feature=f, text=texts.get(f, ""), excluded=f in excluded)
            for f in sorted(features)])
        after = {f: {"text": texts.get(f, ""), "excluded": f in excluded}
                 for f in sorted(features)}
        record_event(actor=actor, action="model.reason_texts_set", target=model,
                     before=before, after=after, reason=reason)
