"""REST API for CI pipelines and scripts. Views parse, check access, call one
service or selector, and render; errors are problem+json (see problems.py)."""

import re

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import permissions as access
from registry import selectors, services
from registry.api.parsers import load_json
from registry.api.permissions import require, require_scope, token_models
from registry.api.serializers import (
    DatasetSerializer,
    DatasetUploadSerializer,
    ModelVersionSerializer,
    ModelWriteSerializer,
    RegisteredModelSerializer,
    VersionMetadataSerializer,
    VersionUploadSerializer,
    version_document,
)
from registry.services import VersionMetadata
from registry.uploads import complete_upload_data, limit_uploads, read_upload

PROBLEM = OpenApiResponse(description="RFC 9457 problem (application/problem+json)")


def _model_or_404(slug):
    model = selectors.model_by_slug(slug)
    if model is None:
        raise exceptions.NotFound(f"No model with slug {slug!r}.")
    return model


def readable_model(request, slug):
    require(access.can_view_inventory(request.user), "You have no role that may read the "
            "model inventory.")
    model = _model_or_404(slug)
    require_scope(request, "read", model)
    return model


class ModelListView(generics.GenericAPIView):
    serializer_class = RegisteredModelSerializer

    @extend_schema(summary="List the inventory", parameters=[
        OpenApiParameter("q", str), OpenApiParameter("tier", int),
        OpenApiParameter("status", str), OpenApiParameter("owner", str),
        OpenApiParameter("overdue", bool)], responses={200: RegisteredModelSerializer(many=True),
                                                      401: PROBLEM, 403: PROBLEM})
    def get(self, request):
        require_scope(request, "read")
        require(access.can_view_inventory(request.user),
                "You have no role that may read the model inventory.")
        params = request.query_params
        tier = params.get("tier")
        filters = selectors.InventoryFilters(
            text=params.get("q", ""),
            tier=int(tier) if tier and tier.isdigit() and len(tier) < 4 else None,
            status=params.get("status", ""), owner=params.get("owner", ""),
            overdue=params.get("overdue") in ("1", "true", "yes"))
        models = selectors.inventory(filters).prefetch_related("ci_accounts")
        allowed = token_models(request)
        if allowed is not None:
            models = models.filter(pk__in=[model.pk for model in allowed])
        page = self.paginate_queryset(models)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Create an inventory entry", request=ModelWriteSerializer,
                   responses={201: RegisteredModelSerializer, 400: PROBLEM, 401: PROBLEM,
                              403: PROBLEM, 409: PROBLEM})
    def post(self, request):
        require_scope(request, "manage")
        require(access.can_create_model(request.user),
                "Only risk officers and model developers may create inventory entries.")
        serializer = ModelWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        reason = fields.pop("reason", "")
        ci_accounts = fields.pop("ci_accounts", [])
        model = services.create_model(actor=request.user, fields=fields, ci_accounts=ci_accounts,
                                      reason=reason)
        data = RegisteredModelSerializer(model).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


class ModelDetailView(APIView):
    @extend_schema(summary="One inventory entry", responses={200: RegisteredModelSerializer,
                                                             404: PROBLEM})
    def get(self, request, slug):
        return Response(RegisteredModelSerializer(readable_model(request, slug)).data)

    @extend_schema(summary="Change an inventory entry (audited, with reason)",
                   request=ModelWriteSerializer(partial=True),
                   responses={200: RegisteredModelSerializer, 400: PROBLEM, 403: PROBLEM})
    def patch(self, request, slug):
        model = _model_or_404(slug)
        require_scope(request, "manage", model)
        require(access.can_edit_model(request.user, model),
                "Only the model's owner or a risk officer may change its inventory entry.")
        serializer = ModelWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason", "")
        ci_accounts = changes.pop("ci_accounts", None)
        changes.pop("slug", None)
        model = services.update_model(actor=request.user, model=model, changes=changes,
                                      reason=reason, ci_accounts=ci_accounts)
        return Response(RegisteredModelSerializer(model).data)


class UploadLimitMixin:
    """Installs the size guard before DRF parses the body."""

    upload_limit_setting = ""

    def initial(self, request, *args, **kwargs):
        limit_uploads(request._request, getattr(settings, self.upload_limit_setting))
        super().initial(request, *args, **kwargs)


class VersionListView(UploadLimitMixin, generics.GenericAPIView):
    serializer_class = ModelVersionSerializer
    parser_classes = [MultiPartParser]  # a JSON body is 415, not a half-read registration
    upload_limit_setting = "ASSAY_MAX_ARTIFACT_BYTES"

    @extend_schema(summary="List a model's versions, newest first",
                   parameters=[OpenApiParameter("tag", str)],
                   responses={200: ModelVersionSerializer(many=True), 404: PROBLEM})
    def get(self, request, slug):
        model = readable_model(request, slug)
        page = self.paginate_queryset(selectors.versions_of(model, request.query_params.get(
            "tag", "")))
        return self.get_paginated_response([version_document(v, model) for v in page])

    @extend_schema(
        summary="Register a version (multipart: artifact + metadata JSON)",
        description="Send `Idempotency-Key` to make retries safe. The same key, or the same "
                    "artifact bytes for this model, returns the existing version with 200.",
        request={"multipart/form-data": VersionUploadSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: ModelVersionSerializer, 200: ModelVersionSerializer, 400: PROBLEM,
                   401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 413: PROBLEM,
                   415: PROBLEM, 422: PROBLEM})
    def post(self, request, slug):
        model = _model_or_404(slug)
        require_scope(request, "register", model)
        require(access.can_register_version(request.user, model),
                f"You may not register versions of {model.slug!r}: only its owner, its "
                "developer and the CI accounts it lists may.")
        body = complete_upload_data(request)
        artifact = body.get("artifact")
        if artifact is None:
            raise exceptions.ValidationError({"artifact": ["Attach the model file as the "
                                                           "'artifact' part."]})
        metadata = _parse_metadata(body.get("metadata", "{}"))
        version, created = services.register_version(
            actor=request.user, model=model, data=read_upload(artifact),
            filename=artifact.name, metadata=VersionMetadata(**metadata),
            idempotency_key=_idempotency_key(request),
            max_bytes=settings.ASSAY_MAX_ARTIFACT_BYTES)
        document = version_document(version, model)
        if not created:
            return Response(document, status=status.HTTP_200_OK)
        return Response(document, status=status.HTTP_201_CREATED,
                        headers={"Location": document["url"]})


_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise exceptions.ValidationError({"Idempotency-Key": [
            "Give 1 to 200 visible ASCII characters (e.g. a UUID)."]})
    return key


def _parse_metadata(raw) -> dict:
    document = raw if isinstance(raw, dict) else _parse_json_field("metadata", raw or "{}")
    if not isinstance(document, dict):
        raise exceptions.ParseError("'metadata' must be a JSON object.")
    serializer = VersionMetadataSerializer(data=document)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class VersionDetailView(APIView):
    @extend_schema(summary="One version with its lineage",
                   responses={200: ModelVersionSerializer, 404: PROBLEM})
    def get(self, request, slug, number):
        model = readable_model(request, slug)
        version = selectors.version_of(model, number)
        if version is None:
            raise exceptions.NotFound(f"{slug} has no version {number}.")
        return Response(version_document(version, model))


class DatasetListView(UploadLimitMixin, generics.GenericAPIView):
    serializer_class = DatasetSerializer
    parser_classes = [MultiPartParser]
    upload_limit_setting = "ASSAY_MAX_DATASET_BYTES"

    @extend_schema(summary="List datasets", responses={200: DatasetSerializer(many=True)})
    def get(self, request):
        require_scope(request, "read")
        require(access.can_view_inventory(request.user), "You may not read datasets.")
        page = self.paginate_queryset(_readable_datasets(request))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Upload a dataset (CSV or Parquet) with column roles",
                   request={"multipart/form-data": DatasetUploadSerializer},
                   responses={201: DatasetSerializer, 200: DatasetSerializer, 400: PROBLEM,
                              413: PROBLEM, 422: PROBLEM})
    def post(self, request):
        require_scope(request, "register")
        require(access.can_upload_dataset(request.user), "Your role may not upload datasets.")
        serializer = DatasetUploadSerializer(data=complete_upload_data(request))
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        roles = serializer.validated_data["roles"]
        if isinstance(roles, str):
            roles = _parse_json_field("roles", roles)
        dataset, created = services.upload_dataset(
            actor=request.user, data=read_upload(upload), filename=upload.name,
            name=serializer.validated_data["name"],
            description=serializer.validated_data["description"], roles=roles,
            max_bytes=settings.ASSAY_MAX_DATASET_BYTES)
        return Response(DatasetSerializer(dataset).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _readable_datasets(request):
    allowed = token_models(request)
    if allowed is None:
        return selectors.datasets()
    return selectors.datasets_of_models(allowed, request.user)


def _parse_json_field(name, raw):
    return load_json(raw, where=f"'{name}' field")


class DatasetDetailView(APIView):
    @extend_schema(summary="One dataset", responses={200: DatasetSerializer, 404: PROBLEM})
    def get(self, request, dataset_id):
        require_scope(request, "read")
        require(access.can_view_inventory(request.user), "You may not read datasets.")
        dataset = _readable_datasets(request).filter(pk=dataset_id).first()
        if dataset is None:
            raise exceptions.NotFound(f"No dataset {dataset_id}.")
        return Response(DatasetSerializer(dataset).data)
