"""Text the shop can store and send back: no NUL characters, no lone surrogates.

PostgreSQL refuses a NUL in text and in jsonb, and a lone surrogate ("\\ud800", which JSON
can spell and Python keeps in a str) cannot be encoded as UTF-8 at all: either one reaching
a query or a response is a 500. Every boundary refuses them with the same words: the
middleware (paths and query strings), the API's JSON parser (bodies), form cleaning
(storefront and admin forms) and the catalog's own text checks (imports and services).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from shop.exceptions import ValidationFailed

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NUL_MESSAGE = "The text contains a NUL character."
SURROGATE_MESSAGE = "The text contains a lone surrogate, which is not a Unicode character."
# A body with a million bad strings is refused after this many are named.
MAX_REPORTED = 50


class InvalidText(ValidationFailed):
    """Text with a NUL character or a lone surrogate: a 400 `invalid_text`."""

    code = "invalid_text"


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None when it can."""
    match = _UNSTORABLE.search(value)
    if match is None:
        return None
    return NUL_MESSAGE if match.group() == "\x00" else SURROGATE_MESSAGE


def bytes_problem(raw: bytes) -> str | None:
    """Why percent-decoded bytes of a URL are not storable text, or None when they are.

    A lone surrogate can only reach a URL as its would-be UTF-8 bytes (%ED%A0%80), which are
    not UTF-8: any bytes that are not UTF-8 are refused alike instead of being silently
    replaced with U+FFFD.
    """
    if b"\x00" in raw:
        return NUL_MESSAGE
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "The text is not valid UTF-8 (a lone surrogate or a broken byte sequence)."
    return None


def find_text_problems(data, *, limit: int = MAX_REPORTED) -> Iterator[tuple[tuple, str]]:
    """(path, message) for each key or string value in parsed JSON that cannot be stored.

    Iterative (no recursion limit to trip) and stops after `limit` problems. A path names
    list items by their index as a string, like the catalog's `fields`; a bad key is reported
    under its object's `non_field_errors`, since the key itself cannot be echoed back.
    """
    found = 0
    stack: list[tuple[tuple, object]] = [((), data)]
    while stack and found < limit:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                found += 1
                yield path, problem
        elif isinstance(value, dict):
            children = []
            for key, item in value.items():
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    found += 1
                    yield (*path, "non_field_errors"), f"A key is not storable text. {problem}"
                    if found >= limit:
                        return
                else:
                    children.append(((*path, str(key)), item))
            stack.extend(reversed(children))  # popped in document order
        elif isinstance(value, list | tuple):
            stack.extend(((*path, str(i)), item) for i, item in reversed(list(enumerate(value))))


def problems_as_fields(problems) -> tuple[dict, str]:
    """`fields` (nested like the body, messages in lists at the leaves) and the first problem
    as a sentence, from (path, message) pairs."""
    fields: dict = {}
    first = ""
    for path, message in problems:
        path = path or ("non_field_errors",)
        node = fields
        for key in path[:-1]:
            if isinstance(node.get(key), list):  # a message already sits here: keep both
                node[key] = {"non_field_errors": node[key]}
            node = node.setdefault(key, {})
        leaf = node.setdefault(path[-1], [])
        if isinstance(leaf, dict):
            leaf = leaf.setdefault("non_field_errors", [])
        leaf.append(message)
        if not first:
            where = describe_path(path)
            first = f"{where}: {message}" if where else message
    return fields, first


def describe_path(path: tuple) -> str:
    """("variants", "2", "sku") -> "variants[2].sku"."""
    text = ""
    for key in map(str, path):
        if key != "non_field_errors":
            text += f"[{key}]" if key.isdigit() else (f".{key}" if text else key)
    return text


def refuse_unstorable_text(data) -> None:
    """Raise InvalidText naming every bad key or string (at most MAX_REPORTED) in `data`."""
    fields, first = problems_as_fields(find_text_problems(data))
    if first:
        raise InvalidText(first, fields=fields)
