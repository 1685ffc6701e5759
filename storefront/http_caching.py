"""HTTP caching of the pages every anonymous shopper of a market sees alike (home, listings).

A visitor without a session cookie gets `Cache-Control: public` with an ETag of the page and
`Vary: Cookie` (the market cookie picks the currency and language), so a CDN or nginx in front
may keep the page and revalidate it; a repeat with `If-None-Match` gets a 304 without a body.
`STOREFRONT_PAGE_MAX_AGE` (default 0: revalidate every time, because the cards' "Out of stock"
badge is read fresh) lets a shared cache serve it that many seconds without asking.
Anyone with a session (a cart, a login) or a pending message gets `Cache-Control: private`:
the page shows their cart, name or message. The product page carries a CSRF token in its form,
so it is never shared.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers


def anonymous_cacheable(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["Cookie"])
        personal = {settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name}
        if personal & request.COOKIES.keys() or response.status_code != 200:
            patch_cache_control(response, private=True)
            return response
        if getattr(response, "streaming", False):
            return response
        etag = '"' + hashlib.blake2b(response.content, digest_size=16).hexdigest() + '"'
        response["ETag"] = etag
        patch_cache_control(
            response, public=True, max_age=settings.STOREFRONT_PAGE_MAX_AGE, must_revalidate=True
        )
        # META, not request.headers: that builds a dict of every header on first use.
        if etag in _etags(request.META.get("HTTP_IF_NONE_MATCH", "")):
            not_modified = HttpResponseNotModified()
            for header in ("ETag", "Cache-Control", "Vary"):
                not_modified[header] = response[header]
            return not_modified
        return response

    return wrapper


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
