"""Inventory pages for risk officers, validators and auditors."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from registry import permissions as access
from registry import selectors
from registry.models import RegisteredModel, RiskTier


def _inventory_filters(params) -> selectors.InventoryFilters:
    tier = params.get("tier", "")
    return selectors.InventoryFilters(
        text=params.get("q", "").strip(),
        tier=int(tier) if tier.isdigit() else None,
        status=params.get("status", ""),
        owner=params.get("owner", ""),
        overdue=params.get("overdue") == "1")


@login_required
def inventory_page(request):
    if not access.can_view_inventory(request.user):
        raise PermissionDenied("You have no role that may read the model inventory.")
    filters = _inventory_filters(request.GET)
    page = Paginator(selectors.inventory(filters), 50).get_page(request.GET.get("page"))
    context = {
        "page": page, "filters": filters, "tiers": RiskTier.choices,
        "statuses": RegisteredModel.Status.choices,
        "owners": selectors.model_owners(),
        "overdue_count": selectors.overdue_models().count(),
        "total_count": selectors.inventory().count(),
    }
    template = ("registry/_inventory_table.html" if request.headers.get("HX-Request")
                else "registry/inventory.html")
    return render(request, template, context)


def model_context(model: RegisteredModel) -> dict:
    """The inventory record, versions and audit timeline; the model page itself is the
    workflow's (governance.workflow.views.model_page), which adds state and gate."""
    return {
        "model": model,
        "versions": selectors.versions_of(model).select_related(
            "training_dataset", "validation_dataset")[:50],
        "timeline": selectors.model_timeline(model),
        "ci_accounts": model.ci_accounts.all(),
    }
