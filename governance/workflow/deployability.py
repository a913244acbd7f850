"""May this be deployed? Answered from the audit trail, now or as of any moment.

The state of each version (status, the approval in force with its signatures,
conditions and evidence hashes, open high-severity findings) is rebuilt from the
hash-chained audit events up to ``at``. The live answer uses the same path and
also re-checks that the artifact and the evidence the approval was signed over
are still the ones stored: if either changed, the approval no longer covers it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AuditEvent
from explain.models import EvidenceRun
from governance.workflow import integrity
from governance.workflow.gates import REPORT_KEY, current_report, result_sha256
from governance.workflow.models import Finding
from registry.blobs import blob_damage
from registry.models import ModelVersion, RegisteredModel

S = ModelVersion.Status
SERVING = (S.APPROVED, S.DEPLOYED)
STATUS_REASONS = {S.HALTED: "halted", S.ROLLED_BACK: "rolled_back", S.RETIRED: "retired"}


@dataclass
class VersionState:
    id: int
    number: int
    status: str
    approval: dict | None = None
    approval_event_hash: str | None = None  # the approve event that put ``approval`` in force
    open_high_findings: list[str] = field(default_factory=list)
    since: datetime | None = None


@dataclass
class Answer:
    model: str
    at: datetime
    version: VersionState | None
    reasons: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    revalidation_overdue: bool = False

    @property
    def deployable(self) -> bool:
        return not self.reasons

    @property
    def summary(self) -> str:
        return "; ".join(self.messages) or "deployable"

    def refuse(self, reason: str, message: str) -> None:
        self.reasons.append(reason)
        self.messages.append(message)


def _when(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else value


def version_states(model: RegisteredModel, at: datetime | None = None) -> list[VersionState]:
    """Every version that existed at ``at`` (default: now), newest first."""
    versions = dict(ModelVersion.objects.filter(model=model).values_list("pk", "number"))
    findings = dict(Finding.objects.filter(version__model=model).values_list("pk",
                                                                             "version_id"))
    events = AuditEvent.objects.filter(
        target_type="registry.modelversion", target_id__in=[str(pk) for pk in versions],
        action__in=("version.registered", "version.transitioned")
    ) | AuditEvent.objects.filter(target_type="workflow.finding",
                                  target_id__in=[str(pk) for pk in findings])
    if at is not None:
        events = events.filter(timestamp__lte=at)
    states: dict[int, VersionState] = {}
    finding_state: dict[int, dict] = {}
    for event in events.order_by("sequence"):
        if event.target_type == "workflow.finding":
            finding_state[int(event.target_id)] = event.after
            continue
        pk = int(event.target_id)
        if event.action == "version.registered":
            states[pk] = VersionState(pk, versions[pk], S.DRAFT, since=event.timestamp)
            continue
        state = states.setdefault(pk, VersionState(pk, versions[pk], S.DRAFT))
        state.status, state.since = event.after["status"], event.timestamp
        if event.after.get("action") == "approve":
            state.approval = event.after["approval"]
            state.approval_event_hash = event.hash
        elif state.status not in SERVING and state.status != S.HALTED:
            state.approval, state.approval_event_hash = None, None
    for document in finding_state.values():
        state = states.get(document["version"])
        if state and document["status"] == Finding.Status.OPEN and \
                document["severity"] == Finding.Severity.HIGH:
            state.open_high_findings.append(document["title"])
    return sorted(states.values(), key=lambda s: -s.number)


def _check_stored_files(version: ModelVersion, approval: dict, answer: Answer) -> bool:
    """Live only: the files the approval is bound to (the artifact, the validation report,
    each evidence run's result) are still in the blob store and were not found changed by
    the rolling re-verification (registry.verify_blobs_rolling). False if one is damaged."""
    blobs = [version.artifact]
    bindings = approval.get("evidence", {})
    run_ids = [binding["run"] for kind, binding in bindings.items() if kind != REPORT_KEY]
    blobs += [run.result_blob for run in EvidenceRun.objects.filter(pk__in=run_ids)
              .select_related("result_blob") if run.result_blob is not None]
    report = current_report(version) if REPORT_KEY in bindings else None
    if report is not None:
        blobs.append(report.blob)
    damage = [problem for problem in map(blob_damage, blobs) if problem]
    if damage:
        answer.refuse("stored_file_damaged", f"v{version.number}: " + "; ".join(damage)
                      + ". Restore the file (re-register the same artifact, or from backup) "
                        "and re-verify it.")
    return not damage


def _check_still_covered(state: VersionState, answer: Answer) -> None:
    """Live only: the approval covers the artifact and evidence it was signed over."""
    version = ModelVersion.objects.select_related("artifact").get(pk=state.id)
    approval = state.approval or {}
    if not _check_stored_files(version, approval, answer):
        return
    if version.artifact.sha256 != approval.get("artifact_sha256"):
        answer.refuse("approval_invalidated", f"v{state.number}'s artifact is not the one "
                                              "the approval was signed over.")
        return
    for kind, binding in approval.get("evidence", {}).items():
        if kind == REPORT_KEY:
            report = current_report(version)
            if report is None or report.blob.sha256 != binding["sha256"]:
                answer.refuse("approval_invalidated", f"The validation report of "
                                                      f"v{state.number} was replaced after "
                                                      "it was approved.")
            continue
        run = EvidenceRun.objects.filter(pk=binding["run"]).select_related(
            "result_blob").first()
        if run is None or run.input_hashes != binding["input_hashes"] or \
                result_sha256(run) != binding["result_sha256"]:
            answer.refuse("approval_invalidated", f"The {kind} evidence of v{state.number} "
                                                  "changed after it was approved.")


def _judge(state: VersionState, states: list[VersionState], answer: Answer,
           ignore_halt: bool = False) -> None:
    if state.status not in SERVING:
        reason = STATUS_REASONS.get(state.status, "not_approved")
        answer.refuse(reason, f"v{state.number} is {S(state.status).label.lower()}.")
        return
    halted = [s.number for s in states if s.status == S.HALTED]
    if halted and not ignore_halt:
        answer.refuse("model_halted", f"{answer.model} is halted (v{halted[0]}); roll back "
                                      "or retire the halted version first.")
    approval = state.approval
    if approval is None:
        answer.refuse("not_approved", f"v{state.number} has no approval on record.")
        return
    problems = integrity.approval_problems(state.id, state.approval_event_hash)
    if problems:
        answer.refuse("approval_unverified", f"v{state.number}'s approval does not agree with "
                      "its signed records: " + "; ".join(problems[:3]) + ".")
        return
    if answer.at > _when(approval["grace_until"]):
        answer.refuse("expired", f"v{state.number}'s approval expired on "
                                 f"{_when(approval['expires_at']):%Y-%m-%d} and the grace "
                                 "period is over: revalidate it.")
    elif answer.at > _when(approval["expires_at"]):
        answer.revalidation_overdue = True
    if state.open_high_findings:
        answer.refuse("gate_failed", "Open high-severity findings: "
                                     + "; ".join(state.open_high_findings) + ".")


def version_answer(version: ModelVersion, at: datetime | None = None,
                   ignore_halt: bool = False,
                   states: list[VersionState] | None = None) -> Answer:
    """``states``: the model's ``version_states`` at ``at``, when the caller has them."""
    states = version_states(version.model, at) if states is None else states
    answer = Answer(version.model.slug, at or timezone.now(), None)
    state = next((s for s in states if s.id == version.pk), None)
    if state is None:
        answer.refuse("not_registered", f"v{version.number} did not exist then.")
        return answer
    answer.version = state
    _judge(state, states, answer, ignore_halt)
    # An unverified approval covers nothing: there is no binding worth re-checking.
    if at is None and state.approval and state.status in SERVING and \
            "approval_unverified" not in answer.reasons:
        _check_still_covered(state, answer)
    return answer


def model_answer(model: RegisteredModel, at: datetime | None = None,
                 states: list[VersionState] | None = None) -> Answer:
    """The version to deploy: the deployed one, else the newest approved one."""
    states = version_states(model, at) if states is None else states
    answer = Answer(model.slug, at or timezone.now(), None)
    serving = [s for s in states if s.status == S.DEPLOYED] or \
        [s for s in states if s.status == S.APPROVED]
    if not serving:
        halted = [s for s in states if s.status == S.HALTED]
        if halted:
            answer.version = halted[0]
            answer.refuse("halted", f"{model.slug} v{halted[0].number} is halted.")
        else:
            answer.refuse("no_approved_version", f"{model.slug} has no approved version.")
        return answer
    answer.version = serving[0]
    _judge(serving[0], states, answer)
    if at is None and not answer.reasons:
        _check_still_covered(serving[0], answer)
    return answer


def status_timeline(model: RegisteredModel) -> list[AuditEvent]:
    versions = [str(pk) for pk in ModelVersion.objects.filter(model=model).values_list(
        "pk", flat=True)]
    return list(AuditEvent.objects.filter(
        target_type="registry.modelversion", target_id__in=versions,
        action__in=("version.registered", "version.transitioned")).order_by("-sequence")[:200])
