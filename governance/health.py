"""Health answers.

``GET /health/`` is public and says only ``ok`` or ``unavailable`` (the database answers a
``SELECT 1``); it writes nothing and names no host, port, role or path.
``GET /health/ready/`` checks the database, the broker and the blob storage and gives
each one's detail; it is for operators (staff), by session or bearer token.
"""

import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.celery import app as celery_app
from registry.blobs import blob_storage


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_broker():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return conn.as_uri()  # the password, if any, is masked


def _check_storage():
    storage = blob_storage()
    storage.exists("health-probe")  # reaches the storage (a directory, a bucket); writes nothing
    return type(storage).__name__


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}


@require_GET
def health(request):
    try:
        _check_database()
    except Exception:  # liveness: any failure is "unavailable", with no detail to leak
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


class Readiness(APIView):
    permission_classes = [permissions.IsAdminUser]
    schema = None  # an operator's endpoint, not part of the client API

    def get(self, request):
        results, healthy = {}, True
        for name, check in CHECKS.items():
            started = time.perf_counter()
            try:
                detail = check()
                results[name] = {"ok": True, "detail": str(detail)}
            except Exception as error:  # a readiness check reports every failure
                healthy = False
                results[name] = {"ok": False, "detail": f"{type(error).__name__}: {error}"}
            results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
        return Response({"status": "ok" if healthy else "unavailable", "checks": results},
                        status=200 if healthy else 503)


readiness = Readiness.as_view()
