"""REST endpoints for evidence runs: start, list, poll, cancel, download rows."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from explain import selectors, services
from explain.api.serializers import (
    EvidenceRequestSerializer,
    EvidenceRunListSerializer,
    EvidenceRunSerializer,
    ReasonTextsSerializer,
)
from explain.models import ReasonText
from explain.permissions import can_edit_reason_texts, can_request_evidence, can_view_evidence
from registry import selectors as registry_selectors
from registry.api.permissions import require, require_scope, token_models
from registry.blobs import read_blob
from registry.errors import UnknownReference
from registry.models import Dataset

PROBLEM = OpenApiResponse(description="RFC 9457 problem (application/problem+json)")


def _version_or_404(version_id):
    version = selectors.version_by_id(version_id)
    if version is None:
        raise exceptions.NotFound(f"No model version with id {version_id}.")
    return version


def _readable_run(request, run_id):
    require_scope(request, "read")
    require(can_view_evidence(request.user), "You have no role that may read evidence.")
    run = selectors.run_by_id(run_id)
    if run is None:
        raise exceptions.NotFound(f"No evidence run {run_id}.")
    require_scope(request, "read", run.version.model)
    return run


def _dataset(request, dataset_id, field):
    if dataset_id is None:
        return None
    allowed = token_models(request)
    readable = (Dataset.objects.all() if allowed is None
                else registry_selectors.datasets_of_models(allowed, request.user))
    dataset = readable.select_related("blob").filter(pk=dataset_id).first()
    if dataset is None:
        raise UnknownReference(f"{field} {dataset_id} does not exist.", field=field)
    return dataset


class VersionEvidenceRunsView(generics.GenericAPIView):
    serializer_class = EvidenceRunListSerializer

    @extend_schema(summary="List a version's evidence runs",
                   responses={200: EvidenceRunListSerializer(many=True), 401: PROBLEM,
                              403: PROBLEM, 404: PROBLEM})
    def get(self, request, version_id):
        require_scope(request, "read")
        require(can_view_evidence(request.user), "You have no role that may read evidence.")
        version = _version_or_404(version_id)
        require_scope(request, "read", version.model)
        page = self.paginate_queryset(selectors.runs_of_version(version))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Start an evidence run (or get the identical one)",
                   request=EvidenceRequestSerializer,
                   responses={202: EvidenceRunSerializer, 200: EvidenceRunSerializer,
                              400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM,
                              422: PROBLEM})
    def post(self, request, version_id):
        version = _version_or_404(version_id)
        require_scope(request, "register", version.model)
        require(can_request_evidence(request.user, version.model),
                "Only the model's owner, developer, CI accounts and validators, and risk "
                "officers may start evidence runs.")
        body = EvidenceRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dataset = _dataset(request, data.get("dataset"), "dataset") or version.validation_dataset \
            or version.training_dataset
        if dataset is None:
            raise UnknownReference("The version has no registered dataset; give 'dataset'.",
                                   field="dataset")
        run, created = services.request_run(
            actor=request.user, version=version, kind=data["kind"], dataset=dataset,
            reference_dataset=_dataset(request, data.get("reference_dataset"),
                                       "reference_dataset"),
            recipe=data["recipe"], trigger="api")
        document = EvidenceRunSerializer(run).data
        return Response(document, status=status.HTTP_202_ACCEPTED if created else
                        status.HTTP_200_OK, headers={"Location": document["url"]})


class EvidenceRunView(APIView):
    @extend_schema(summary="An evidence run: status, progress, recipe, results",
                   responses={200: EvidenceRunSerializer, 401: PROBLEM, 403: PROBLEM,
                              404: PROBLEM})
    def get(self, request, run_id):
        return Response(EvidenceRunSerializer(_readable_run(request, run_id)).data)


class EvidenceRunCancelView(APIView):
    @extend_schema(summary="Cancel a queued or running evidence run", request=None,
                   responses={200: EvidenceRunSerializer, 403: PROBLEM, 404: PROBLEM,
                              409: PROBLEM})
    def post(self, request, run_id):
        run = _readable_run(request, run_id)
        require_scope(request, "register", run.version.model)
        require(can_request_evidence(request.user, run.version.model),
                "You may not cancel this model's evidence runs.")
        run = services.cancel_run(actor=request.user, run=run,
                                  reason=str(request.data.get("reason", ""))[:500])
        return Response(EvidenceRunSerializer(selectors.run_by_id(run.pk)).data)


class EvidenceRunRowsView(APIView):
    @extend_schema(summary="Per-row results of a run (Parquet)",
                   responses={(200, "application/vnd.apache.parquet"): bytes, 404: PROBLEM})
    def get(self, request, run_id):
        run = _readable_run(request, run_id)
        if run.result_blob is None:
            raise exceptions.NotFound("This run has no per-row results (yet).")
        response = HttpResponse(read_blob(run.result_blob),
                                content_type="application/vnd.apache.parquet")
        response["Content-Disposition"] = (f'attachment; filename="evidence-run-{run.pk}-'
                                           f'{run.kind}.parquet"')
        response["Digest"] = f"sha-256={run.result_blob.sha256}"
        return response


class ReasonTextsView(APIView):
    """The owner's adverse-action reason texts; new runs snapshot them into their recipe."""

    def _model(self, request, slug, scope):
        require_scope(request, scope)
        require(can_view_evidence(request.user), "You have no role that may read evidence.")
        model = registry_selectors.model_by_slug(slug)
        if model is None:
            raise exceptions.NotFound(f"No model with slug {slug!r}.")
        require_scope(request, scope, model)
        return model

    def _document(self, model):
        texts = ReasonText.objects.filter(model=model)
        return {"texts": {t.feature: t.text for t in texts if not t.excluded},
                "excluded": [t.feature for t in texts if t.excluded]}

    @extend_schema(summary="A model's reason texts", responses={200: ReasonTextsSerializer})
    def get(self, request, slug):
        return Response(self._document(self._model(request, slug, "read")))

    @extend_schema(summary="Replace a model's reason texts (owner or risk officer)",
                   request=ReasonTextsSerializer,
                   responses={200: ReasonTextsSerializer, 400: PROBLEM, 403: PROBLEM})
    def put(self, request, slug):
        model = self._model(request, slug, "manage")
        require(can_edit_reason_texts(request.user, model),
                "Only the model's owner or a risk officer may change its reason texts.")
        body = ReasonTextsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.set_reason_texts(actor=request.user, model=model,
                                  texts=body.validated_data["texts"],
                                  excluded=body.validated_data["excluded"],
                                  reason=body.validated_data["reason"])
        return Response(self._document(model))
