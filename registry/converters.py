"""Path converters. ``<id:...>``: a non-negative integer that fits a 64-bit database
column (at most 18 digits), so a huge number in a URL is a 404, not an overflow."""

from django.urls import register_converter


class Int64Converter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(Int64Converter, "id")
