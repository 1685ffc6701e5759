"""Rendered pages kept per worker process, with the live parts in their key.

Rendering the templates is most of what a warm page costs. For an anonymous shopper (no
session, no pending message) whose address holds only parameters the page understood, the HTML
is kept under a key made of: the document's versioned key (so a catalog write makes it
unreachable), the category tree's version (header, breadcrumbs), the markets (the selector),
the language, the full path and the live signature: the stock versions of the page's variants
(the product's, or the cards'), read on this request (shop.cache_versions.read_stock_stamp:
unchanged versions, unchanged availability), so a kept page reads no availability at all and
lives at most AVAILABILITY_CACHE_SECONDS, as the kept availability does. A cached page is
therefore exactly what rendering would give now, except for the CSRF token, which is rendered
as a placeholder and filled in per request. Anything else (a signed-in customer, a cart, a
stray parameter) is rendered normally.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation

HTML_ENTRIES = 300  # pages of ~30-60 KB: at most ~20 MB per worker
MAX_PARAM_LENGTH = 100
CSRF_PLACEHOLDER = "csrf-token-filled-in-per-request-0f3a9c"
_pages: OrderedDict[str, tuple[float, str]] = OrderedDict()  # key: (expires at, html)
_lock = threading.Lock()


def render_page(
    request,
    template: str,
    context: dict | Callable[[], dict],
    *,
    version_key: str | None,
    live: object,
    live_seconds: float | None = None,
    params: Iterable[str] = (),
    status: int = 200,
) -> HttpResponse:
    """`render(request, template, context)`, from this process's copy when the page may be
    shared (see the module's doc); `context` may be a function making it, called only when the
    page is rendered. `live`: what the page's live part was read under, or the
    part itself (None: unknown, the page is rendered); `live_seconds`: how long that may key a
    page at most. `params` are the query parameters the page understood."""
    key = _key(request, version_key, live, set(params)) if status == 200 else None
    if key is None:
        return render(request, template, _built(context), status=status)
    now = time.monotonic()
    with _lock:
        expires, html = _pages.get(key, (0.0, None))
        if now < expires:
            _pages.move_to_end(key)
        else:
            html = None
    if html is None:
        page = {**_built(context), "csrf_token": CSRF_PLACEHOLDER}
        html = render_to_string(template, page, request)
        with _lock:
            # No longer than its documents (a version bump lost in an outage heals).
            seconds = settings.STOREFRONT_CACHE_SECONDS
            if live_seconds is not None:
                seconds = min(seconds, live_seconds)
            _pages[key] = (now + seconds, html)
            while len(_pages) > HTML_ENTRIES:
                _pages.popitem(last=False)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return HttpResponse(html)


def _built(context: dict | Callable[[], dict]) -> dict:
    return context() if callable(context) else context


def forget() -> None:
    with _lock:
        _pages.clear()


def full_path(request) -> str:
    """request.get_full_path(), worked out once per request (several keys are made of it)."""
    path = getattr(request, "_storefront_full_path", None)
    if path is None:
        path = request._storefront_full_path = request.get_full_path()
    return path


def _key(request, version_key: str | None, live: object, params: set[str]) -> str | None:
    if version_key is None or live is None:
        return None
    if {settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name} & request.COOKIES.keys():
        return None
    for name, values in request.GET.lists():
        if name not in params or len(values) != 1 or len(values[0]) > MAX_PARAM_LENGTH:
            return None
    tree_version = getattr(request, "_category_tree_version", None)
    if tree_version is None:
        return None
    markets = [(m.code, m.name, m.currency) for m in getattr(request, "markets", None) or []]
    parts = (
        version_key,
        tree_version,
        markets,
        translation.get_language(),
        full_path(request),
        live,
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()
