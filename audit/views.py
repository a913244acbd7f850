import json
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from audit import selectors
from audit.spreadsheets import csv_response


def _date(raw: str):
    try:
        return timezone.make_aware(datetime.strptime(raw, "%Y-%m-%d")) if raw else None
    except ValueError:
        return None


def _may_search(user) -> bool:
    # The audit app knows no domain roles; the auditor group holds this permission.
    return user.is_superuser or user.has_perm("audit.view_auditevent")


def _searched(request):
    if not _may_search(request.user):
        raise PermissionDenied("The audit trail search is for auditors.")
    params = request.GET
    return selectors.search_events(
        text=params.get("q", "").strip(), action=params.get("action", ""),
        actor=params.get("actor", "").strip(), request_id=params.get("request_id", "").strip(),
        since=_date(params.get("since", "")), until=_date(params.get("until", "")),
        housekeeping=params.get("housekeeping") == "1")


@login_required
def audit_search_page(request):
    events = _searched(request)
    params = request.GET
    page = Paginator(events, 100).get_page(params.get("page"))
    # Pager and export links carry the filters.
    filters = params.copy()
    filters.pop("page", None)
    shown = {name: params.get(name, "") for name in (
        "q", "action", "actor", "request_id", "since", "until", "housekeeping")}
    return render(request, "audit/search.html", {
        "page": page, "params": shown, "filters": filters.urlencode(),
        "actions": selectors.distinct_actions(),
        "chain_check": selectors.latest_chain_check()})


EXPORT_LIMIT = 50_000


@login_required
def audit_search_csv(request):
    events = _searched(request).order_by("-sequence")[:EXPORT_LIMIT]
    rows = ([e.sequence, e.timestamp, e.actor_name, e.actor_kind, e.channel, e.ip, e.action,
             e.target_type, e.target_id, e.target_label, e.reason, e.request_id,
             json.dumps(e.before, sort_keys=True) if e.before is not None else "",
             json.dumps(e.after, sort_keys=True) if e.after is not None else "", e.hash]
            for e in events.iterator())
    return csv_response("assay-audit-search.csv", [
        "sequence", "timestamp_utc", "actor", "actor_kind", "channel", "ip", "action",
        "target_type", "target_id", "target", "reason", "request_id", "before", "after",
        "hash"], rows)
