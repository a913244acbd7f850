"""The approval gates of a tier policy, evaluated for one version.

Evidence only counts when it was computed on this version's artifact and on the
datasets the version was registered with (checked by sha256, not by id): a run on
another version, another dataset or a re-uploaded file does not satisfy the gate.
"""

import hashlib
import math
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Q

from audit.chain import canonical_json
from explain.models import EvidenceRun
from governance.workflow.models import (
    FairnessException,
    Finding,
    ProxyFeature,
    TierPolicy,
    ValidationReport,
    ValidationSignOff,
)
from governance.workflow.rounds import review_round
from registry.models import ModelVersion

REPORT_KEY = "validation_report"  # its binding sits beside the evidence kinds


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    detail: str
    waivable: bool = False  # a risk officer may grant an exception (fairness checks)
    exception: str = ""     # the justification of the exception that made it pass
    run: int | None = None  # the evidence run the check read, for its "detail" link

    def as_dict(self) -> dict:
        return {"name": self.name, "passed": self.passed, "detail": self.detail,
                "waivable": self.waivable, "exception": self.exception, "run": self.run}


@dataclass
class GateReport:
    checks: list[GateCheck] = field(default_factory=list)
    evidence: dict[str, dict] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[GateCheck]:
        return [check for check in self.checks if not check.passed]


def evaluation_dataset(version: ModelVersion):
    return version.validation_dataset or version.training_dataset


def expected_hashes(version: ModelVersion, kind: str) -> dict[str, str] | None:
    """The input hashes a run of ``kind`` must have to count for ``version``."""
    dataset = evaluation_dataset(version)
    if dataset is None:
        return None
    hashes = {"artifact": version.artifact.sha256, "dataset": dataset.blob.sha256}
    if kind == "drift":
        if version.training_dataset is None:
            return None
        hashes["reference_dataset"] = version.training_dataset.blob.sha256
    return hashes


def result_sha256(run: EvidenceRun) -> str:
    """One hash over what the run concluded: its summary and its per-row results."""
    rows = run.result_blob.sha256 if run.result_blob_id else ""
    return hashlib.sha256(canonical_json({"summary": run.summary, "rows": rows}).encode()
                          ).hexdigest()


def _binds(run: EvidenceRun, wanted: dict[str, str] | None) -> bool:
    return wanted is not None and all(run.input_hashes.get(key) == value
                                      for key, value in wanted.items())


def bound_runs(version: ModelVersion) -> dict[str, EvidenceRun]:
    """Per evidence kind, the newest succeeded run computed on exactly this version's
    inputs: the runs the gate checks, the evidence tabs show and a signature binds."""
    runs: dict[str, EvidenceRun] = {}
    wanted = {kind: expected_hashes(version, kind) for kind in EvidenceRun.Kind.values}
    for run in EvidenceRun.objects.filter(
            version=version, status=EvidenceRun.Status.SUCCEEDED).select_related(
            "result_blob", "dataset").order_by("-finished_at", "-id"):
        if run.kind not in runs and _binds(run, wanted.get(run.kind)):
            runs[run.kind] = run
    return runs


def bound_run(version: ModelVersion, kind: str) -> EvidenceRun | None:
    """The newest succeeded run of ``kind`` computed on exactly this version's inputs."""
    return bound_runs(version).get(kind)


def current_report(version: ModelVersion) -> ValidationReport | None:
    """The newest upload is the report in force; older ones stay listed as replaced."""
    return ValidationReport.objects.filter(version=version).select_related("blob").order_by(
        "-uploaded_at", "-id").first()


def report_binding(report: ValidationReport) -> dict:
    """Bound into a signature like the evidence: a replaced report voids the approval."""
    return {"report": report.pk, "filename": report.filename, "sha256": report.blob.sha256}


def evidence_binding(run: EvidenceRun) -> dict:
    return {"run": run.pk, "fingerprint": run.fingerprint, "input_hashes": run.input_hashes,
            "result_sha256": result_sha256(run)}


def _evidence_checks(version, policy, report: GateReport,
                     bound: dict[str, EvidenceRun]) -> dict[str, EvidenceRun]:
    runs = {}
    dataset = evaluation_dataset(version)
    for kind in policy.required_evidence:
        run = bound.get(kind)
        label = EvidenceRun.Kind(kind).label if kind in EvidenceRun.Kind.values else kind
        if run is None:
            where = f"dataset {dataset.name!r}" if dataset else "a registered dataset"
            report.checks.append(GateCheck(
                f"evidence:{kind}", False,
                f"No successful {label.lower()} run on this version's artifact and {where}."))
            continue
        runs[kind] = run
        report.evidence[kind] = evidence_binding(run)
        report.checks.append(GateCheck(f"evidence:{kind}", True,
                                       f"{label}: run {run.pk} on {run.dataset.name!r} "
                                       f"({run.finished_at:%Y-%m-%d})", run=run.pk))
    return runs


def fairness_checks(version, policy, run: EvidenceRun | None, report: GateReport) -> None:
    limits = [("four_fifths", "demographic_parity_ratio", policy.four_fifths_min, "min"),
              ("equal_opportunity", "equal_opportunity_difference",
               policy.equal_opportunity_max_difference, "max")]
    limits = [limit for limit in limits if limit[2] is not None]
    if not limits:
        return
    if run is None:
        run = bound_run(version, "fairness")
    if run is None:
        report.checks.append(GateCheck("fairness", False, "Fairness thresholds apply to this "
                                       "tier, but no fairness run exists on these inputs."))
        return
    exceptions = dict(FairnessException.objects.filter(version=version).values_list(
        "check_name", "justification"))
    for grouping in run.summary.get("groupings", []):
        if len(grouping["attributes"]) != 1:
            continue  # intersections are shown to reviewers; the thresholds apply per attribute
        attribute = grouping["attributes"][0]
        for short, metric, limit, sense in limits:
            name = f"fairness:{attribute}:{short}"
            value = grouping["summary"].get(metric)
            if short == "four_fifths" and "four_fifths" in grouping["summary"]:
                passed, detail = _four_fifths_check(attribute, grouping["summary"], limit)
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                passed, detail = False, (f"{metric} for {attribute} is undefined (a group has "
                                         "no favourable outcomes or decisions).")
            else:
                passed = value >= limit if sense == "min" else value <= limit
                relation = "at least" if sense == "min" else "at most"
                detail = (f"{metric} for {attribute} is {value:.3f}; the policy asks for "
                          f"{relation} {limit:g}.")
            justification = exceptions.get(name, "") if not passed else ""
            report.checks.append(GateCheck(name, passed or bool(justification), detail,
                                           waivable=True, exception=justification,
                                           run=run.pk))


def protected_input_checks(version: ModelVersion, report: GateReport) -> None:
    """Fair lending: a protected attribute (a column with the protected role in the
    version's datasets) or a declared proxy must not be a model input, unless a risk
    officer grants an exception with a written justification."""
    protected: dict[str, str] = {}
    for dataset in (version.validation_dataset, version.training_dataset):
        for column in (dataset.columns if dataset else []):
            if column.get("role") == "protected":
                protected.setdefault(column["name"], f"a protected attribute in dataset "
                                                     f"{dataset.name!r}")
    for proxy in ProxyFeature.objects.filter(model=version.model_id).select_related(
            "marked_by"):
        protected.setdefault(proxy.feature, f"marked as a proxy for a protected attribute by "
                                            f"{proxy.marked_by.get_username()} "
                                            f"({proxy.reason})")
    inputs = [name for name in version.feature_names or [] if name in protected]
    if not inputs:
        return
    exceptions = dict(FairnessException.objects.filter(version=version).values_list(
        "check_name", "justification"))
    for feature in inputs:
        name = f"fairness:{feature}:protected_input"
        justification = exceptions.get(name, "")
        report.checks.append(GateCheck(
            name, bool(justification), f"{feature} is a model input and "
                                       f"{protected[feature]}.", waivable=True,
            exception=justification))


def _four_fifths_check(attribute: str, summary: dict, limit: float) -> tuple[bool, str]:
    """The engine's four-fifths reading: each group's selection rate against the reference
    group (the most favoured with enough rows), compared exactly as fractions, so a ratio
    of exactly 4/5 meets a limit of 0.8."""
    rule = summary["four_fifths"]
    fraction = rule.get("lowest_ratio_fraction")
    if fraction is None:
        return False, (f"The four-fifths ratio for {attribute} is undefined: "
                       f"{rule.get('note') or 'the reference group has no favourable decisions'}.")
    lowest = Fraction(*fraction)
    passed = lowest >= Fraction(repr(float(limit)))
    reference = " & ".join(str(v) for v in (rule.get("reference_group") or {}).values())
    group = " & ".join(str(v) for v in (rule.get("lowest_ratio_group") or {}).values())
    adverse = ", ".join(" & ".join(map(str, g.values()))
                        for g in rule.get("adverse_impact_groups", []))
    detail = (f"Lowest selection-rate ratio for {attribute}: {group} at {float(lowest):.3f} of "
              f"the reference group {reference} (groups of at least "
              f"{rule.get('min_reference_size')} rows); the policy asks for at least "
              f"{limit:g}. Adverse impact (ratio and significance test): "
              f"{adverse or 'none'}.")
    return passed, detail


def failing_fairness_checks(version: ModelVersion, policy: TierPolicy) -> list[GateCheck]:
    """The fairness checks of ``policy`` that fail for ``version`` (after exceptions),
    protected attributes used as inputs included."""
    report = GateReport()
    protected_input_checks(version, report)
    fairness_checks(version, policy, None, report)
    return report.failures


def _signoff_check(version: ModelVersion) -> GateCheck:
    signoff = ValidationSignOff.objects.filter(version=version,
                                               round=review_round(version)).first()
    if signoff is None:
        return GateCheck("validation_signoff", False, "The validator has not signed "
                         "'validation complete' for this review.")
    detail = (f"{signoff.get_validation_type_display()} signed off by {signoff.signer_name} "
              f"on {signoff.signed_at:%Y-%m-%d}: {signoff.get_opinion_display().lower()}.")
    return GateCheck("validation_signoff", signoff.favourable, detail)


def approval_gates(version: ModelVersion, policy: TierPolicy,
                   bound: dict[str, EvidenceRun] | None = None) -> GateReport:
    """``bound``: the version's ``bound_runs``, when the caller has them."""
    report = GateReport()
    bound = bound_runs(version) if bound is None else bound
    _evidence_checks(version, policy, report, bound)
    current = current_report(version)
    if current is not None:
        report.evidence[REPORT_KEY] = report_binding(current)
    if policy.requires_validation_report:
        report.checks.append(GateCheck(
            "validation_report", current is not None,
            f"Validation report {current.filename!r} (sha256 {current.blob.sha256[:12]}…)."
            if current else "No validation report uploaded."))
    if policy.requires_validation_signoff:
        report.checks.append(_signoff_check(version))
    # Findings of earlier versions of the model are carried forward until closed.
    open_high = [title if number == version.number else f"{title} (carried forward from "
                 f"v{number})" for title, number in Finding.objects.filter(
                     Q(version=version) | Q(version__model=version.model_id,
                                            version__number__lt=version.number),
                     severity=Finding.Severity.HIGH, status=Finding.Status.OPEN).values_list(
                     "title", "version__number")]
    report.checks.append(GateCheck(
        "findings", not open_high,
        f"Open high-severity findings: {'; '.join(open_high)}." if open_high
        else "No open high-severity finding."))
    protected_input_checks(version, report)
    fairness_checks(version, policy, bound.get("fairness"), report)
    return report
