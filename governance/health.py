"""GET /health/: the database, the broker and the blob storage, each checked for real."""

import time
import uuid

from django.core.files.base import ContentFile
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

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
    name = storage.save(f"health/{uuid.uuid4().hex}", ContentFile(b"ok"))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != b"ok":
                raise OSError("read back different bytes")
    finally:
        storage.delete(name)
    return type(storage).__name__


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}


@require_GET
def health(request):
    results, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
            results[name] = {"ok": True, "detail": str(detail)}
        except Exception as error:  # a health check reports every failure, whatever its kind
            healthy = False
            results[name] = {"ok": False, "detail": f"{type(error).__name__}: {error}"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": results},
                        status=200 if healthy else 503)
