"""Who and where a change comes from, carried alongside the request or task.

The middleware (web, API) or the task/command wrapper sets it; services read
it when they write an audit event, so no function signature has to thread a
request object through the domain code.
"""

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeContext:
    request_id: str
    ip: str | None = None
    channel: str = "system"  # web, api, cli, admin, worker, system


_current: ContextVar[ChangeContext | None] = ContextVar("assay_change_context", default=None)


def current_context() -> ChangeContext:
    return _current.get() or ChangeContext(request_id=new_request_id())


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def change_context(channel: str, request_id: str | None = None,
                   ip: str | None = None) -> Iterator[ChangeContext]:
    context = ChangeContext(request_id=request_id or new_request_id(), ip=ip, channel=channel)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
