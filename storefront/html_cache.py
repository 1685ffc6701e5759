"""Rendered pages kept per worker process, with the live parts in their key.

Rendering the templates is most of what a warm page costs. For an anonymous shopper (no
session, no pending message) whose address holds only parameters the page understood, the HTML
is kept under a key made of: the document's versioned key (so a catalog write makes it
unreachable), the category tree's version (header, breadcrumbs), the markets (the selector),
the language, the full path and the live signature: the stock versions of the page's variants
(the product's, or the cards'), read on this request (shop.cache_versions.read_stock_stamp:
unchanged versions, unchanged availability), so a kept page reads no availability at all. The
versions alone vouch for it for AVAILABILITY_CACHE_SECONDS, as for kept availability (a bump
lost in a Redis outage heals); then the availability it shows is read again (kept, or one
query) and the page is kept on if it still shows the same, rendered again if not. A cached page is
therefore exactly what rendering would give now, except for the CSRF token, which is rendered
as a placeholder and filled in per request. Anything else (a signed-in customer, a cart, a
stray parameter) is rendered normally.

Each page is also found by what its live part shows (`shown_live`: the availability as the page
words it). When the stock versions moved (every sale bumps its variant's) the availability is
read again, and if the page would show the same ("In stock" before and after a sale of one of a
hundred), the page kept under the old versions is served under the new ones instead of being
rendered again: on a busy product page, every purchase used to cost each worker a render.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation

HTML_ENTRIES = 300  # pages of ~30-60 KB, by key and by what they show: ~20-40 MB per worker
MAX_PARAM_LENGTH = 100
CSRF_PLACEHOLDER = "csrf-token-filled-in-per-request-0f3a9c"
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode("ascii")
_pages: OrderedDict[tuple, _Page] = OrderedDict()
# The same pages by (their key without the live part, what the live part shows).
_shown_pages: OrderedDict[tuple, _Page] = OrderedDict()
_lock = threading.Lock()


class _Page(NamedTuple):
    html: bytes  # encoded once, when kept: a kept page is sent without encoding it again
    ends_at: float  # no longer than its documents (a version bump lost in an outage heals)
    trusted_until: float  # until then its live key alone says it is current
    shown: object  # the live part as the page shows it (shown_live's answer)


def render_page(
    request,
    template: str,
    context: dict | Callable[[], dict],
    *,
    version_key: str | None,
    live: object,
    live_seconds: float | None = None,
    shown_live: Callable[[], object] | None = None,
    params: Iterable[str] = (),
    status: int = 200,
) -> HttpResponse:
    """`render(request, template, context)`, from this process's copy when the page may be
    shared (see the module's doc); `context` may be a function making it, called only when the
    page is rendered. `params` are the query parameters the page understood.

    `live`: what the page's live part was read under, or the part itself, hashable (None:
    unknown, the page is rendered). `live_seconds`: how long `live` alone may vouch for a kept
    page; after that `shown_live()` (the live part as the page shows it, read now, hashable:
    pages are also found by it) must still equal what the page shows, or it is rendered again.
    So a kept page whose stock versions did not move is checked every few seconds, not rendered
    again.
    """
    key = _key(request, version_key, live, set(params)) if status == 200 else None
    if key is None:
        return render(request, template, _built(context), status=status)
    now = time.monotonic()
    with _lock:
        page = _pages.get(key)
        if page is not None and now < page.ends_at:
            _pages.move_to_end(key)
        else:
            page = None
    html = None
    if page is not None:
        if now < page.trusted_until:
            html = page.html
        elif shown_live is not None and shown_live() == page.shown:
            html = page.html
            with _lock:
                _pages[key] = page._replace(trusted_until=_trusted_until(now, live_seconds))
    elif shown_live is not None:  # new versions: is a page showing the same kept?
        shown = shown_live()
        with _lock:
            twin = _shown_pages.get((key[:-1], shown))
            if twin is not None and now < twin.ends_at:
                html = twin.html
                _keep(key, twin._replace(trusted_until=_trusted_until(now, live_seconds)))
    if html is None:
        html = render_to_string(
            template, {**_built(context), "csrf_token": CSRF_PLACEHOLDER}, request
        ).encode(settings.DEFAULT_CHARSET)
        shown = shown_live() if shown_live is not None else None
        ends_at = now + settings.STOREFRONT_CACHE_SECONDS
        with _lock:
            _keep(key, _Page(html, ends_at, _trusted_until(now, live_seconds), shown))
    if _PLACEHOLDER_BYTES in html:
        html = html.replace(_PLACEHOLDER_BYTES, get_token(request).encode("ascii"))
    return HttpResponse(html)


def _keep(key: tuple, page: _Page) -> None:
    """Keep `page` under `key` and under what its live part shows (with _lock held)."""
    _pages[key] = page
    _pages.move_to_end(key)
    if page.shown is not None:
        by_shown = (key[:-1], page.shown)
        _shown_pages[by_shown] = page
        _shown_pages.move_to_end(by_shown)
        while len(_shown_pages) > HTML_ENTRIES:
            _shown_pages.popitem(last=False)
    while len(_pages) > HTML_ENTRIES:
        _pages.popitem(last=False)


def _trusted_until(now: float, live_seconds: float | None) -> float:
    seconds = settings.STOREFRONT_CACHE_SECONDS
    if live_seconds is not None:
        seconds = min(seconds, live_seconds)
    return now + seconds


def _built(context: dict | Callable[[], dict]) -> dict:
    return context() if callable(context) else context


def forget() -> None:
    with _lock:
        _pages.clear()
        _shown_pages.clear()


def full_path(request) -> str:
    """request.get_full_path(), worked out once per request (several keys are made of it)."""
    path = getattr(request, "_storefront_full_path", None)
    if path is None:
        path = request._storefront_full_path = request.get_full_path()
    return path


def _key(request, version_key: str | None, live: object, params: set[str]) -> tuple | None:
    """The page's key: a tuple of its parts, used as it is (hashing a tuple of strings and
    numbers costs less than hashing its text: 3% of a warm page); `live` is a stamp (a
    tuple)."""
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
    markets = tuple((m.code, m.name, m.currency) for m in getattr(request, "markets", None) or ())
    return (
        version_key,
        tree_version,
        markets,
        translation.get_language(),
        full_path(request),
        live,
    )
