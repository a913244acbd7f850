"""Audit pack pages: the version's packs (list, render) and downloads (audited)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from governance.reports import selectors, services
from governance.reports.models import AuditPack
from governance.reports.permissions import can_read_inventory_report, can_use_packs
from governance.reports.signing_keys import SigningKeyMissing, published_keys
from registry import selectors as registry_selectors

DENIED = "Audit packs are for auditors, risk officers, approvers and the model's owner."


def _version(request, slug, number):
    model = registry_selectors.model_by_slug(slug)
    version = model and registry_selectors.version_of(model, number)
    if version is None:
        raise Http404(f"No version {number} of {slug}")
    if not can_use_packs(request.user, model):
        raise PermissionDenied(DENIED)
    return version


@login_required
def packs_page(request, slug, number):
    version = _version(request, slug, number)
    if request.method == "POST":
        try:
            pack, created = services.generate_pack(actor=request.user, version=version,
                                                   trigger="web")
        except SigningKeyMissing as error:
            messages.error(request, error.detail)
        else:
            how = "Rendered" if created else "Unchanged evidence: the stored"
            messages.success(request, f"{how} pack {pack.pack_id} ({pack.pages} pages).")
        return redirect("version-audit-packs", slug=slug, number=number)
    return render(request, "reports/packs.html", {
        "version": version, "model": version.model, "packs": selectors.packs_of(version),
        "keys": published_keys()})


@login_required
def download_pack(request, pack_id):
    pack = AuditPack.objects.select_related("version__model", "blob").filter(
        pack_id=pack_id).first()
    if pack is None:
        raise Http404(f"No audit pack {pack_id}")
    if not can_use_packs(request.user, pack.version.model):
        raise PermissionDenied(DENIED)
    response = HttpResponse(services.pack_bytes(actor=request.user, pack=pack),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    return response


@login_required
def inventory_report(request):
    if not can_read_inventory_report(request.user):
        raise PermissionDenied("The inventory report is for auditors, risk officers and "
                               "approvers.")
    try:
        report = services.inventory_report(actor=request.user)
    except SigningKeyMissing as error:
        messages.error(request, error.detail)
        return redirect("inventory")
    response = HttpResponse(report.pdf, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="inventory-report-'
                                       f'{report.manifest["pack_id"]}.pdf"')
    return response
