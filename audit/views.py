from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from audit import selectors


def _date(raw: str):
    try:
        return timezone.make_aware(datetime.strptime(raw, "%Y-%m-%d")) if raw else None
    except ValueError:
        return None


def _may_search(user) -> bool:
    # The audit app knows no domain roles; the auditor group holds this permission.
    return user.is_superuser or user.has_perm("audit.view_auditevent")


@login_required
def audit_search_page(request):
    if not _may_search(request.user):
        raise PermissionDenied("The audit trail search is for auditors.")
    params = request.GET
    events = selectors.search_events(
        text=params.get("q", "").strip(), action=params.get("action", ""),
        actor=params.get("actor", "").strip(), request_id=params.get("request_id", "").strip(),
        since=_date(params.get("since", "")), until=_date(params.get("until", "")))
    page = Paginator(events, 100).get_page(params.get("page"))
    return render(request, "audit/search.html", {
        "page": page, "params": params, "actions": selectors.distinct_actions(),
        "chain_check": selectors.latest_chain_check()})
