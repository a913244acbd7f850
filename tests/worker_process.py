"""Start a real Celery worker process on the test database and broker."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}")


test_database_url.__test__ = False  # a helper, not a test


@contextlib.contextmanager
def running_worker(log: Path, *, name: str = "test", beat: bool = False, env: dict = None,
                   pool: str = "solo"):
    """Yields the Popen; stops the worker (gracefully) on exit unless it is dead already.
    ``pool="prefork"`` runs tasks in one child process, as in production: a child that
    dies or is terminated leaves the worker itself running."""
    environment = os.environ | {"DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1",
                                "ASSAY_VAR_DIR": str(settings.VAR_DIR),
                                "SECRET_KEY": settings.SECRET_KEY} | (env or {})
    command = [str(Path(sys.executable).parent / "celery"), "-A", "governance", "worker",
               "-Q", "cpu", "--pool", pool, "--loglevel", "INFO",
               "-n", f"{name}-{os.getpid()}@%h"]
    if pool == "prefork":
        command += ["--concurrency", "1"]
    if beat:
        command += ["--beat", "--schedule", str(log.with_suffix(".beat"))]
    with log.open("wb") as out:
        worker = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while b"ready." not in log.read_bytes():
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "worker did not start:\n" + log.read_text()
                time.sleep(0.2)
            yield worker
        finally:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)


def wait_for(predicate, seconds=60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@contextlib.contextmanager
def broker_down(settings, monkeypatch):
    """Point the Celery app at a port where no broker listens, then restore it."""
    from governance.celery import app

    original = settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    # Celery reads the CELERY_BROKER_URL environment variable before its settings (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
    # The app caches its connection pool and the producer pool built on it.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    try:
        yield
    finally:
        settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS = original
        if "CELERY_BROKER_URL" in os.environ:
            os.environ["CELERY_BROKER_URL"] = original[0]
        app._pool = None
        app.amqp._producer_pool = None
