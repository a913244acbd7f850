"""REST endpoints of audit packs: the public signing keys (anyone), and for a version
its packs (list, render) and the latest pack's PDF (auditor, risk officer, approvers
and the model's owner; every download audited)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from explain.selectors import version_by_id
from governance.reports import selectors, services
from governance.reports.models import AuditPack, SigningKey
from governance.reports.permissions import can_read_inventory_report, can_use_packs
from governance.reports.signing_keys import published_keys
from registry.api.permissions import require, require_scope

PROBLEM = OpenApiResponse(description="RFC 9457 problem (application/problem+json)")


class SigningKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = SigningKey
        fields = ["key_id", "public_key_pem", "created_at", "retired_at"]


class AuditPackSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.slug")
    version_number = serializers.IntegerField(source="version.number")
    download = serializers.SerializerMethodField()

    class Meta:
        model = AuditPack
        fields = ["pack_id", "model", "version_number", "sha256", "size", "pages", "key_id",
                  "describes_moment", "trigger", "approval", "created_at", "download"]

    def get_download(self, pack) -> str:
        return f"/api/v1/audit-packs/{pack.pack_id}.pdf"


class SigningKeysView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="Public keys that sign audit packs (retired ones included)",
                   responses={200: SigningKeySerializer(many=True)})
    def get(self, request):
        return Response(SigningKeySerializer(published_keys(), many=True).data)


def _pack_version(request, version_id):
    version = version_by_id(version_id)
    if version is None:
        raise exceptions.NotFound(f"No version {version_id}.")
    require(can_use_packs(request.user, version.model), "Audit packs are for auditors, risk "
            "officers, approvers and the model's owner.")
    require_scope(request, "read", version.model)
    return version


def _pdf(request, pack: AuditPack) -> HttpResponse:
    data = services.pack_bytes(actor=request.user, pack=pack)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    response["Digest"] = f"sha-256={pack.sha256}"
    return response


class LatestAuditPackView(APIView):
    @extend_schema(summary="The version's latest audit pack (PDF; the download is audited)",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, 401: PROBLEM,
                              403: PROBLEM, 404: PROBLEM})
    def get(self, request, version_id):
        version = _pack_version(request, version_id)
        pack = selectors.latest_pack(version)
        if pack is None:
            raise exceptions.NotFound(f"{version} has no audit pack yet; POST to "
                                      f"/api/v1/versions/{version_id}/audit-packs/ renders one.")
        return _pdf(request, pack)


class AuditPackListView(APIView):
    @extend_schema(summary="Every audit pack of the version, newest first",
                   responses={200: AuditPackSerializer(many=True), 401: PROBLEM, 403: PROBLEM,
                              404: PROBLEM})
    def get(self, request, version_id):
        version = _pack_version(request, version_id)
        return Response(AuditPackSerializer(selectors.packs_of(version), many=True).data)

    @extend_schema(summary="Render the pack of the version's current evidence (identical "
                           "evidence returns the stored pack, 200)", request=None,
                   responses={201: AuditPackSerializer, 200: AuditPackSerializer,
                              401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 503: PROBLEM})
    def post(self, request, version_id):
        version = _pack_version(request, version_id)
        pack, created = services.generate_pack(actor=request.user, version=version,
                                               trigger="api")
        return Response(AuditPackSerializer(pack).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AuditPackDownloadView(APIView):
    @extend_schema(summary="One stored audit pack by its id (PDF; audited)",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, 401: PROBLEM,
                              403: PROBLEM, 404: PROBLEM})
    def get(self, request, pack_id):
        pack = AuditPack.objects.select_related("version__model", "blob").filter(
            pack_id=pack_id).first()
        if pack is None:
            raise exceptions.NotFound(f"No audit pack {pack_id}.")
        _pack_version(request, pack.version_id)
        return _pdf(request, pack)


class InventoryReportView(APIView):
    @extend_schema(summary="The inventory report for committees (signed PDF; audited)",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, 401: PROBLEM,
                              403: PROBLEM, 503: PROBLEM})
    def get(self, request):
        require(can_read_inventory_report(request.user), "The inventory report is for "
                "auditors, risk officers and approvers.")
        require_scope(request, "read")
        report = services.inventory_report(actor=request.user)
        response = HttpResponse(report.pdf, content_type="application/pdf")
        response["Content-Disposition"] = (f'attachment; filename="inventory-report-'
                                           f'{report.manifest["pack_id"]}.pdf"')
        return response
