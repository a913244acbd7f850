"""Deep checks: other apps compare the rows they own with the audit events that
created them, and ``verify_audit --deep`` (and the periodic chain check) runs
every registered check.

The audit app knows no domain models, so the domain apps register here, usually
from their ``AppConfig.ready()``::

    from audit import deep_checks

    @deep_checks.register("workflow.decisions")
    def decisions_match_their_events():
        for decision in ...:
            if ...:
                yield deep_checks.Mismatch("workflow.decision", str(decision.pk),
                                           "signer differs from its audit event")

A check yields one ``Mismatch`` per record that disagrees with the trail and
yields nothing when all agree. A check that raises is reported as a failure of
that check, never as "intact".
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

CheckFunction = Callable[[], Iterable["Mismatch"]]

_registry: dict[str, CheckFunction] = {}


@dataclass(frozen=True)
class Mismatch:
    """One record that does not agree with the audit trail."""

    target_type: str
    target_id: str
    problem: str
    check: str = ""

    def __str__(self):
        prefix = f"[{self.check}] " if self.check else ""
        return f"{prefix}{self.target_type} {self.target_id}: {self.problem}"


def register(name: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` under ``name``; registering a name again replaces it
    (so a re-imported module does not run its check twice)."""

    def decorator(function: CheckFunction) -> CheckFunction:
        _registry[name] = function
        return function

    return decorator


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> dict[str, CheckFunction]:
    return dict(_registry)


def run_deep_checks() -> list[Mismatch]:
    """Every registered check's mismatches, each labelled with its check's name."""
    found: list[Mismatch] = []
    for name, function in sorted(_registry.items()):
        try:
            for mismatch in function():
                found.append(Mismatch(mismatch.target_type, mismatch.target_id,
                                      mismatch.problem, check=name))
        except Exception as error:  # a broken check must not read as "intact"
            found.append(Mismatch("check", name, f"the check itself failed: {error!r}",
                                  check=name))
    return found
