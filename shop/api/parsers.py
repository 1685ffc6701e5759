"""A JSON parser that refuses hostile input with a 400 instead of a 500: too large (413), not
UTF-8, nested too deep, not JSON, or carrying text the database cannot store (NUL, lone
surrogates: 400 `invalid_text`, see shop.text)."""

import json
import re

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from shop.text import refuse_unstorable_text

_SPECIAL = re.compile(r'["\\\[\]{}]')


def _exceeds_depth(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit`; no recursion, one pass.

    Only quotes, backslashes and brackets are visited, and the walk stops at the first
    bracket past the limit, so neither 100,000 `[` nor a 2 MB string costs a worker much.
    """
    depth, escape_at = 0, -2
    in_string = escaped = False
    for match in _SPECIAL.finditer(text):
        char = match.group()
        if in_string:
            if escaped:
                # The escaped character itself; an escape only ever covers the next character.
                escaped = False
                if match.start() == escape_at + 1:
                    continue
            if char == "\\":
                escaped, escape_at = True, match.start()
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class RequestBodyTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestBodyTooLarge()
        if not raw:
            return {}
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("The request body is not UTF-8 encoded JSON.") from None
        if _exceeds_depth(text, settings.API_MAX_JSON_DEPTH):
            raise ParseError(
                f"The JSON is nested deeper than {settings.API_MAX_JSON_DEPTH} levels."
            )
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"The request body is not valid JSON ({exc}).") from None
        refuse_unstorable_text(data)
        return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not allowed in JSON")
