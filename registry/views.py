"""Inventory pages for risk officers, validators and auditors: the list, its CSV export,
and creating and editing entries (through the same services as the API)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from audit.spreadsheets import csv_response
from registry import permissions as access
from registry import selectors, services
from registry.errors import RegistryError
from registry.forms import InventoryEntryForm
from registry.models import RegisteredModel, RiskTier


def _inventory_filters(params) -> selectors.InventoryFilters:
    tier = params.get("tier", "")
    return selectors.InventoryFilters(
        text=params.get("q", "").strip(),
        tier=int(tier) if tier.isdigit() and len(tier) < 3 else None,
        status=params.get("status", ""),
        owner=params.get("owner", ""),
        overdue=params.get("overdue") == "1")


@login_required
def inventory_page(request):
    if not access.can_view_inventory(request.user):
        raise PermissionDenied("You have no role that may read the model inventory.")
    filters = _inventory_filters(request.GET)
    page = Paginator(selectors.inventory(filters), 50).get_page(request.GET.get("page"))
    for model in page:
        model.gaps = selectors.completeness_gaps(model)
    context = {
        "page": page, "filters": filters, "tiers": RiskTier.choices,
        "statuses": RegisteredModel.Status.choices,
        "owners": selectors.model_owners(),
        "overdue_count": selectors.overdue_models().count(),
        "total_count": selectors.inventory().count(),
        "can_create": access.can_create_model(request.user),
    }
    template = ("registry/_inventory_table.html" if request.headers.get("HX-Request")
                else "registry/inventory.html")
    return render(request, template, context)


INVENTORY_COLUMNS = ["slug", "name", "risk_tier", "status", "origin", "vendor_name", "owner",
                     "developer", "validator", "versions", "latest_version", "next_review_date",
                     "regulatory_scope", "purpose", "completeness_gaps"]


@login_required
def inventory_csv(request):
    if not access.can_view_inventory(request.user):
        raise PermissionDenied("You have no role that may read the model inventory.")
    models = selectors.inventory(_inventory_filters(request.GET))

    def name(user):
        return user.get_username() if user else ""

    rows = ([m.slug, m.name, m.risk_tier, m.get_status_display(), m.get_origin_display(),
             m.vendor_name, name(m.owner), name(m.developer), name(m.validator),
             m.version_count, m.latest_version, m.next_review_date,
             "; ".join(m.regulatory_scope_labels), m.purpose,
             "; ".join(selectors.completeness_gaps(m))] for m in models)
    return csv_response("assay-inventory.csv", INVENTORY_COLUMNS, rows)


def _save_entry(request, form, model=None):
    """Hand the form to the service; a refusal goes next to its field. Returns the model
    or None."""
    if not form.is_valid():
        return None
    fields, ci_accounts = form.service_fields()
    try:
        if model is None:
            return services.create_model(actor=request.user, fields=fields,
                                         ci_accounts=ci_accounts)
        return services.update_model(actor=request.user, model=model, changes=fields,
                                     reason=form.cleaned_data["reason"],
                                     ci_accounts=ci_accounts)
    except RegistryError as error:
        field = error.extra.get("field")
        form.add_error(field if field in form.fields else None, error.detail)
        return None


@login_required
def inventory_entry_new(request):
    if not access.can_create_model(request.user):
        raise PermissionDenied("Only risk officers and model developers may add models to "
                               "the inventory.")
    form = InventoryEntryForm(request.POST or None,
                              initial={"owner": request.user} if request.method == "GET" else None)
    if request.method == "POST":
        model = _save_entry(request, form)
        if model is not None:
            messages.success(request, f"{model.name} was added to the inventory.")
            return redirect("model", slug=model.slug)
    return render(request, "registry/entry_form.html", {"form": form, "model": None},
                  status=422 if form.is_bound else 200)


@login_required
def inventory_entry_edit(request, slug):
    model = selectors.model_by_slug(slug)
    if model is None:
        raise Http404(f"No model {slug} in the inventory.")
    if not access.can_edit_model(request.user, model):
        raise PermissionDenied("Only the model's owner or a risk officer may change its "
                               "inventory entry.")
    form = InventoryEntryForm(request.POST or None, editing=model,
                              initial=InventoryEntryForm.initial_for(model))
    if request.method == "POST":
        saved = _save_entry(request, form, model)
        if saved is not None:
            messages.success(request, f"The inventory entry of {saved.name} was saved.")
            return redirect("model", slug=saved.slug)
    return render(request, "registry/entry_form.html", {"form": form, "model": model},
                  status=422 if form.is_bound else 200)


def model_context(model: RegisteredModel) -> dict:
    """The inventory record, versions and audit timeline; the model page itself is the
    workflow's (governance.workflow.views.model_page), which adds state and gate."""
    return {
        "model": model,
        "versions": selectors.versions_of(model).select_related(
            "training_dataset", "validation_dataset")[:50],
        "timeline": selectors.model_timeline(model),
        "ci_accounts": model.ci_accounts.all(),
        "gaps": selectors.completeness_gaps(model),
    }
