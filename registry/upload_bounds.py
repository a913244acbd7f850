"""Bounded inspection of uploads, before anything decodes them in the web process.

A small file can decode into a huge one: a Parquet file of 200 million rows of one
constant is 1.6 MB, a zip (skops) member can inflate a thousandfold, a CSV header can
declare 200,000 columns. Each check here reads only metadata (Parquet footer, zip
central directory) or streams the bytes once (CSV rows and header) and refuses what
would exceed the limits (settings ASSAY_DATASET_MAX_ROWS, ASSAY_DATASET_MAX_COLUMNS,
ASSAY_UPLOAD_MAX_EXPANDED_BYTES, ASSAY_UPLOAD_MAX_COMPRESSION_RATIO) with 413.

"Expanded size" estimates the decoded size: a Parquet or CSV dataset decodes to at
least 8 bytes per cell (pandas' float64/int64/object pointer) plus its strings; a zip
to the sum of its members' declared sizes (Python's zipfile never inflates a member
past its declared size).
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from registry.errors import UnreadableArtifact, UnreadableDataset, UploadTooLarge

_CELL_BYTES = 8
_HEADER_BYTES = 4 * 1024 * 1024  # the CSV header row is read from at most this much


@dataclass(frozen=True)
class UploadLimits:
    max_rows: int
    max_columns: int
    max_expanded_bytes: int
    max_compression_ratio: float

    @classmethod
    def from_settings(cls) -> "UploadLimits":
        from django.conf import settings

        return cls(settings.ASSAY_DATASET_MAX_ROWS, settings.ASSAY_DATASET_MAX_COLUMNS,
                   settings.ASSAY_UPLOAD_MAX_EXPANDED_BYTES,
                   settings.ASSAY_UPLOAD_MAX_COMPRESSION_RATIO)


def _refuse(what: str, actual: int | float, limit: int | float, setting: str):
    raise UploadTooLarge(f"The upload {what} ({actual:,}); the limit is {limit:,} "
                         f"({setting}). Nothing was stored.", limit=limit, actual=actual,
                         setting=setting)


def _check_shape(rows: int, columns: int, expanded: int, stored: int,
                 limits: UploadLimits) -> None:
    if columns > limits.max_columns:
        _refuse("has more columns than allowed", columns, limits.max_columns,
                "ASSAY_DATASET_MAX_COLUMNS")
    if rows > limits.max_rows:
        _refuse("has more rows than allowed", rows, limits.max_rows, "ASSAY_DATASET_MAX_ROWS")
    if expanded > limits.max_expanded_bytes:
        _refuse("would decode to more bytes than allowed", expanded,
                limits.max_expanded_bytes, "ASSAY_UPLOAD_MAX_EXPANDED_BYTES")
    ratio = expanded / max(stored, 1)
    if ratio > limits.max_compression_ratio:
        _refuse("decodes to too many times its size", round(ratio, 1),
                limits.max_compression_ratio, "ASSAY_UPLOAD_MAX_COMPRESSION_RATIO")


def check_csv(data: bytes, limits: UploadLimits) -> None:
    """Columns from the header row (read from its first few MB only), rows by counting
    line ends: no frame is built."""
    head = data[:_HEADER_BYTES].decode("utf-8", errors="replace")
    try:
        header = next(csv.reader(io.StringIO(head)), [])
    except csv.Error as error:
        raise UnreadableDataset(f"The CSV header could not be read: {error}") from None
    if len(header) > limits.max_columns:
        _refuse("has more columns than allowed", len(header), limits.max_columns,
                "ASSAY_DATASET_MAX_COLUMNS")
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    rows = max(lines - 1, 0)  # an upper bound: quoted newlines count too
    expanded = max(len(data), rows * len(header) * _CELL_BYTES)
    # Text is not compressed: a CSV's decoded size is bounded by its cells, not a ratio.
    uncompressed = UploadLimits(limits.max_rows, limits.max_columns,
                                limits.max_expanded_bytes, float("inf"))
    _check_shape(rows, len(header), expanded, len(data), uncompressed)


def check_parquet(data: bytes, limits: UploadLimits) -> None:
    """Rows, columns and sizes from the footer metadata only."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(pa.BufferReader(data)).metadata
    except (pa.ArrowException, OSError, ValueError) as error:
        raise UnreadableDataset(f"The Parquet footer could not be read: {error}") from None
    rows, columns = metadata.num_rows, metadata.num_columns
    if columns > limits.max_columns:
        _refuse("has more columns than allowed", columns, limits.max_columns,
                "ASSAY_DATASET_MAX_COLUMNS")
    uncompressed = sum(metadata.row_group(i).total_byte_size
                       for i in range(metadata.num_row_groups))
    expanded = max(uncompressed, rows * columns * _CELL_BYTES)
    _check_shape(rows, columns, expanded, len(data), limits)


def check_zip(data: bytes, limits: UploadLimits, what: str = "skops file") -> None:
    """The declared (uncompressed) sizes of every member, from the central directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnreadableArtifact(f"The {what} is not a readable zip archive: {error}") \
            from None
    expanded = sum(member.file_size for member in members)
    if expanded > limits.max_expanded_bytes:
        _refuse(f"({what}) would inflate to more bytes than allowed", expanded,
                limits.max_expanded_bytes, "ASSAY_UPLOAD_MAX_EXPANDED_BYTES")
    ratio = expanded / max(len(data), 1)
    if ratio > limits.max_compression_ratio:
        _refuse(f"({what}) inflates to too many times its size", round(ratio, 1),
                limits.max_compression_ratio, "ASSAY_UPLOAD_MAX_COMPRESSION_RATIO")
