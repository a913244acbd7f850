"""A client that disconnects mid-upload leaves no blob and no version."""

import socket
import time
from urllib.parse import urlparse

import pytest

from registry.models import Blob, ModelVersion
from tests.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_disconnect_mid_upload_stores_nothing(live_server, ci, credit_model, xgb_json):
    token = token_for(ci, "register")
    boundary = "assayboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{{}}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"artifact\"; "
            f"filename=\"m.json\"\r\n\r\n").encode() + xgb_json + f"\r\n--{boundary}--\r\n".encode()
    url = urlparse(live_server.url)
    head = (f"POST /api/v1/models/credit-pd/versions/ HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(head + body[: len(body) // 2])
        sock.shutdown(socket.SHUT_WR)  # the client goes away half-way
        sock.settimeout(10)
        try:
            reply = sock.recv(4096)
        except (TimeoutError, ConnectionResetError):
            reply = b""
    time.sleep(0.5)
    assert (Blob.objects.count(), ModelVersion.objects.count()) == (0, 0)
    assert not reply.startswith(b"HTTP/1.1 201")
