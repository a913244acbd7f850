"""Sending tasks from a request without waiting on a broker that is down.

Whatever is sent from a request is first recorded in our own tables (an evidence
run, a blob to verify), so a send that fails loses nothing: the sweepers on the
beat schedule send it later. After one failed send this process stops trying
for ``ASSAY_BROKER_BACKOFF_SECONDS``, so a registration that would send six
messages waits on one broker timeout, not six (gunicorn would kill it first).
"""

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)

_down_until = 0.0


def broker_backing_off() -> bool:
    return time.monotonic() < _down_until


def reset_backoff() -> None:
    global _down_until
    _down_until = 0.0


def send_quietly(task, *, args: list, queue: str | None = None, respect_backoff: bool = True,
                 **task_options) -> bool:
    """Send ``task`` (``task_options`` go to ``apply_async``); False (never an exception)
    when the broker is unreachable or was a moment ago. Sweepers pass
    ``respect_backoff=False`` to probe it."""
    global _down_until
    if respect_backoff and broker_backing_off():
        logger.info("broker unreachable a moment ago: %s%s left to the sweeper", task.name,
                    args)
        return False
    options = {"args": args, "retry": False, **task_options}
    if queue:
        options["queue"] = queue
    try:
        task.apply_async(**options)
    except Exception as error:  # kombu raises many kinds when the broker is unreachable
        _down_until = time.monotonic() + getattr(settings, "ASSAY_BROKER_BACKOFF_SECONDS", 30)
        logger.warning("could not enqueue %s%s (broker unreachable): %s", task.name, args, error)
        return False
    return True
