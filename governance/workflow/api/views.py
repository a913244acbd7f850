"""REST endpoints for CI/CD and incident automation: the deploy gate (now or as of a
moment), the model's reconstructed state, and plain status changes (halt, rollback…)."""

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.workflow import deployability, services
from governance.workflow.api.serializers import (
    DeployableSerializer,
    ModelStateSerializer,
    TransitionRequestSerializer,
    VersionStateSerializer,
    answer_document,
)
from registry import selectors as registry_selectors
from registry.api.permissions import require_scope
from registry.api.problems import PROBLEM_CONTENT_TYPE
from registry.api.serializers import ModelVersionSerializer
from registry.api.views import readable_model

PROBLEM = OpenApiResponse(description="RFC 9457 problem (application/problem+json)")
AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATETIME, description=(
    "Answer as things stood at this moment (ISO 8601; a date means the end of that day, "
    "UTC), rebuilt from the audit trail."))


def parse_as_of(raw: str | None):
    if not raw:
        return None
    try:  # well-formed but impossible (2026-02-30, hour 25) raises ValueError
        day = parse_date(raw) if len(raw) == 10 else None
        moment = (parse_datetime(f"{day.isoformat()}T23:59:59.999999+00:00") if day
                  else parse_datetime(raw))
    except ValueError:
        moment = None
    if moment is None:
        raise exceptions.ValidationError({"as_of": [f"{raw!r} is not an ISO 8601 date or "
                                                    "date-time."]})
    if moment.tzinfo is None:
        raise exceptions.ValidationError({"as_of": ["Give a time zone (e.g. Z or +01:00)."]})
    if not 1900 <= moment.year <= 9000:
        raise exceptions.ValidationError({"as_of": ["Give a moment between the years 1900 "
                                                    "and 9000."]})
    return moment


def _gate_response(request, answer) -> Response:
    body = answer_document(answer)
    if answer.deployable:
        return Response(body)
    return Response({"type": "/api/problems/not-deployable", "title": "This may not be deployed",
                     "status": 409, "detail": answer.summary, "instance": request.path,
                     **body}, status=status.HTTP_409_CONFLICT,
                    content_type=PROBLEM_CONTENT_TYPE)


class ModelDeployableView(APIView):
    @extend_schema(summary="May this model be deployed? (the version to deploy)",
                   parameters=[AS_OF],
                   responses={200: DeployableSerializer, 409: DeployableSerializer,
                              400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM})
    def get(self, request, slug):
        model = readable_model(request, slug)
        answer = deployability.model_answer(model, parse_as_of(request.query_params.get(
            "as_of")))
        return _gate_response(request, answer)


class VersionDeployableView(APIView):
    @extend_schema(summary="May this version be deployed?", parameters=[AS_OF],
                   responses={200: DeployableSerializer, 409: DeployableSerializer,
                              400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM})
    def get(self, request, slug, number):
        model = readable_model(request, slug)
        version = registry_selectors.version_of(model, number)
        if version is None:
            raise exceptions.NotFound(f"No version {number} of {slug!r}.")
        answer = deployability.version_answer(version, parse_as_of(request.query_params.get(
            "as_of")))
        return _gate_response(request, answer)


class ModelStateView(APIView):
    @extend_schema(summary="The model's versions, approvals and gate, now or as of a moment",
                   parameters=[AS_OF],
                   responses={200: ModelStateSerializer, 400: PROBLEM, 401: PROBLEM,
                              403: PROBLEM, 404: PROBLEM})
    def get(self, request, slug):
        model = readable_model(request, slug)
        at = parse_as_of(request.query_params.get("as_of"))
        states = deployability.version_states(model, at)
        answer = deployability.model_answer(model, at, states=states)
        return Response({"model": model.slug, "as_of": answer.at,
                         "versions": VersionStateSerializer(states, many=True).data,
                         "deployable": answer_document(answer)})


class VersionTransitionView(APIView):
    @extend_schema(summary="Submit, start validation, deploy, halt, roll back or retire",
                   request=TransitionRequestSerializer,
                   responses={200: ModelVersionSerializer, 400: PROBLEM, 401: PROBLEM,
                              403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM})
    def post(self, request, slug, number):
        model = readable_model(request, slug)
        require_scope(request, "operate", model)
        version = registry_selectors.version_of(model, number)
        if version is None:
            raise exceptions.NotFound(f"No version {number} of {slug!r}.")
        body = TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.transition(actor=request.user, version=version,
                                      action=body.validated_data["action"],
                                      reason=body.validated_data["reason"])
        version = registry_selectors.version_of(model, number)
        return Response(ModelVersionSerializer(version).data)
