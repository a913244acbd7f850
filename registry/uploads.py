"""Upload guards: refuse oversized bodies early, and notice truncated ones."""

from django.core.files.uploadhandler import FileUploadHandler

from registry.errors import IncompleteUpload, PayloadTooLarge

# Multipart framing and the metadata part ride on top of the file itself.
_ENVELOPE_ALLOWANCE = 1024 * 1024


class SizeLimitedUploadHandler(FileUploadHandler):
    """First in the handler chain: stops reading as soon as a limit is crossed."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit + _ENVELOPE_ALLOWANCE:
            raise PayloadTooLarge(f"The request body is {content_length} bytes; uploads are "
                                  f"limited to {self.limit} bytes.", limit=self.limit)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            raise PayloadTooLarge(f"The uploaded file is larger than the limit of {self.limit} "
                                  "bytes.", limit=self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None


def limit_uploads(django_request, limit: int) -> None:
    django_request.upload_handlers.insert(0, SizeLimitedUploadHandler(django_request, limit=limit))


def complete_upload_data(request):
    """Parse the multipart body and check every declared byte arrived.

    A client that disconnects mid-upload leaves the stream short of its
    Content-Length; the parser would otherwise hand on a truncated file.
    """
    data = request.data
    stream = getattr(request._request, "_stream", None)
    position, limit = getattr(stream, "_pos", None), getattr(stream, "limit", None)
    if position is not None and limit is not None and position < limit:
        raise IncompleteUpload(f"Received {position} of {limit} bytes; nothing was stored. "
                               "Send the request again.")
    return data


def read_upload(upload) -> bytes:
    return b"".join(upload.chunks())
