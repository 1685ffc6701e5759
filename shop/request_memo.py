"""Values read at most once per request: configuration that a request consults many times.

A checkout step asks whether checkout, its market, a shipping method or a promotion is
switched off a dozen times, and prices its cart with the rate tables up to three times; each
ask was a Redis round trip (a checkout: 15 kill-switch reads, 9 rate-table reads). Inside a
request (RequestMemoMiddleware) the first answer is kept for the rest of that request only;
outside one (Celery tasks, commands, tests calling services) nothing is kept, so every read
stays as fresh as before. A request that changes the value itself (an admin flipping a
switch) forgets the kept answer along with the shared one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
_memo: ContextVar[dict | None] = ContextVar("emporium_request_memo", default=None)


def remembered(key: str, read: Callable[[], T]) -> T:
    """`read()`, kept under `key` for the rest of the current request (if in one)."""
    memo = _memo.get()
    if memo is None:
        return read()
    try:
        return memo[key]
    except KeyError:
        value = memo[key] = read()
        return value


def forget(key: str) -> None:
    """Drop the current request's kept answer for `key` (its value was just changed)."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


def keep(key: str, value: object) -> None:
    """Leave `value` under `key` in the current request (if in one): `peek` and `remembered`
    read it, `take` removes it."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def in_request() -> bool:
    """Whether a request's memo is active (RequestMemoMiddleware)."""
    return _memo.get() is not None


def peek(key: str) -> object | None:
    """What the current request keeps under `key` (left in place); None when nothing is."""
    memo = _memo.get()
    return None if memo is None else memo.get(key)


def take(key: str) -> object | None:
    """What `keep` left under `key` in the current request, removed; None when nothing is."""
    memo = _memo.get()
    return None if memo is None else memo.pop(key, None)


class RequestMemoMiddleware:
    """Give each request its own memo, gone when the response is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
