"""Untrusted JSON, read with limits: body size, nesting depth, string length, no NaN or
Infinity, no NUL characters. Used for JSON bodies and for the JSON parts of multipart
bodies (registration metadata, dataset roles), so every way in has the same limits."""

import json
import math
from typing import Any

from django.conf import settings
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser

from registry.errors import PayloadTooLarge


def _refuse_constant(name: str):
    raise exceptions.ParseError(f"{name} is not a number JSON allows; send a finite number "
                                "or null.")


def check_json_value(value: Any, where: str = "body") -> None:
    """Depth, string length and NUL characters of an already decoded document, walked
    without recursion (a deep document must not exhaust the stack here either)."""
    max_depth = settings.ASSAY_MAX_JSON_DEPTH
    max_chars = settings.ASSAY_MAX_TEXT_CHARS
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise exceptions.ParseError(f"The {where} is nested deeper than {max_depth} "
                                            "levels.")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str):
                    _check_string(key, where, max_chars)
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            _check_string(item, where, max_chars)


def _check_string(text: str, where: str, max_chars: int) -> None:
    if len(text) > max_chars:
        raise exceptions.ParseError(f"A string in the {where} is {len(text)} characters long; "
                                    f"the limit is {max_chars} (ASSAY_MAX_TEXT_CHARS).")
    if "\x00" in text:
        raise exceptions.ParseError(f"A string in the {where} contains a NUL character "
                                    "(\\u0000), which is not accepted.")


def load_json(raw: str | bytes, where: str = "body") -> Any:
    """``json.loads`` with the limits above; every failure is a 400 ParseError."""
    if len(raw) > settings.ASSAY_MAX_JSON_BYTES:
        raise PayloadTooLarge(f"The JSON {where} is {len(raw)} bytes; the limit is "
                              f"{settings.ASSAY_MAX_JSON_BYTES} (ASSAY_MAX_JSON_BYTES).",
                              limit=settings.ASSAY_MAX_JSON_BYTES)
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise exceptions.ParseError(f"The {where} is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise exceptions.ParseError(f"The {where} is not valid JSON: {error}") from None
    check_json_value(document, where)
    return document


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser reads the whole stream; this one stops past the size limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ASSAY_MAX_JSON_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is {declared} bytes; JSON bodies are "
                                  f"limited to {limit} bytes (ASSAY_MAX_JSON_BYTES).",
                                  limit=limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The JSON body is larger than {limit} bytes "
                                  "(ASSAY_MAX_JSON_BYTES).", limit=limit)
        return load_json(raw)


class LimitedJSONField(serializers.JSONField):
    """A JSON field (a string part of a multipart body, or a value in a JSON body) held
    to the same limits as a JSON body."""

    def to_internal_value(self, data):
        if isinstance(data, str | bytes) and (self.binary or getattr(data, "is_json_string",
                                                                      False)):
            return load_json(data, where=f"'{self.field_name}' field")
        check_json_value(data, where=f"'{self.field_name}' field")
        return super().to_internal_value(data)


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: no NaN or Infinity (JSON and PostgreSQL have none)."""

    default_error_messages = {"not_finite": "Give a finite number (not NaN or Infinity)."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value
