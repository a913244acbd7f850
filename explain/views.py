"""Evidence pages: a run's results with charts, starting and cancelling runs. The
version page itself is the workflow's (governance.workflow.views), built on
``version_context`` from here."""

import contextlib

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from explain import charts, selectors, services
from explain.models import EvidenceRun
from explain.permissions import can_request_evidence, can_view_evidence
from registry import selectors as registry_selectors
from registry.errors import RegistryError
from registry.models import Dataset


def readable_version(request, slug, number):
    if not can_view_evidence(request.user):
        raise PermissionDenied("You have no role that may read evidence.")
    model = registry_selectors.model_by_slug(slug)
    version = model and registry_selectors.version_of(model, number)
    if version is None:
        raise Http404(f"No version {number} of {slug}")
    return version


def _readable_run(request, run_id) -> EvidenceRun:
    if not can_view_evidence(request.user):
        raise PermissionDenied("You have no role that may read evidence.")
    run = selectors.run_by_id(run_id)
    if run is None:
        raise Http404(f"No evidence run {run_id}")
    return run


def version_context(request, version, **extra) -> dict:
    runs = list(selectors.runs_of_version(version)[:100])
    return {"version": version, "model": version.model, "runs": runs,
            "polling": any(run.is_active for run in runs),
            "latest": selectors.latest_successful_runs(version),
            "can_request": can_request_evidence(request.user, version.model),
            "kinds": EvidenceRun.Kind.choices,
            "datasets": Dataset.objects.select_related("blob").order_by("-created_at")[:50],
            **extra}


@login_required
def run_page(request, run_id):
    run = _readable_run(request, run_id)
    if request.headers.get("HX-Request"):
        response = render(request, "explain/_run_status.html", {"run": run})
        if not run.is_active:
            response["HX-Refresh"] = "true"  # finished: reload once to show the results
        return response
    return render(request, "explain/run.html", {
        "run": run, "version": run.version, "model": run.version.model,
        "can_request": can_request_evidence(request.user, run.version.model),
        "chart_names": list(charts.CHARTS.get(run.kind, {})),
        "top_features": list(run.summary.get("methods", {}).get(
            run.summary.get("primary", ""), {}).get("importance", {}))[:3],
    })


@login_required
def run_chart(request, run_id, name):
    """``charts/dependence.svg?of=<feature>``, ``charts/grouping.svg?of=0``: the
    parametrised charts name their feature or grouping in the query (any string)."""
    run = _readable_run(request, run_id)
    if "of" in request.GET:
        name = f"{name}-{request.GET['of']}"
    if run.status != EvidenceRun.Status.SUCCEEDED:
        raise Http404("The run has no results yet")
    svg = run.charts.get(name)
    if svg is None and not run.charts:
        # A run that finished before charts were stored with the results: drawn here.
        try:
            svg = charts.draw(run.kind, name, run.summary, selectors.chart_context(run))
        except charts.ChartUnavailable as error:
            raise Http404(str(error)) from None
    if svg is None:
        raise Http404(f"The run has no chart {name}")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"  # a finished run never changes
    return response


@login_required
@require_POST
def cancel_run(request, run_id):
    run = _readable_run(request, run_id)
    if not can_request_evidence(request.user, run.version.model):
        raise PermissionDenied("You may not cancel this model's evidence runs.")
    with contextlib.suppress(RegistryError):  # finished meanwhile: the page shows how
        services.cancel_run(actor=request.user, run=run,
                            reason=request.POST.get("reason", "")[:500])
    return redirect("evidence-run", run_id=run.pk)
