"""One round trip per form: a POST answered with the page its redirect leads to.

A storefront form marked `data-next-page` is sent by shop/static/shop/site.js with the header
`X-Next-Page: inline`. A view decorated with `answers_with_next_page` then answers a success
with the page it would have redirected to (rendered in the same request, as a GET of that
address) instead of the redirect, and names that page's address in `X-Page-URL`; the script
shows the page and puts the address in the location bar (history.pushState), so reload, back
and bookmarks behave as after the redirect. A checkout step is then one request instead of two
(the POST, then the GET of the next step): half the round trips on a phone, and on the server
the next page's request without its own HTTP handling, middleware and session and cart reads.

Without the header (no script, or another client) the view answers exactly as before: the
redirect (post/redirect/get). Only a redirect to one of the pages these forms lead to
(INLINE_PAGES) is followed, at most a few hops, and only when its address would pass the
middleware's text check (a NUL in a query string is a 400 there): the page is drawn without
the middleware stack running again for it. Anything else goes back to the client as the
redirect, to be requested on its own.
"""

from __future__ import annotations

import copy
from functools import wraps
from urllib.parse import urlsplit

from django.http import QueryDict
from django.http.response import HttpResponseRedirectBase
from django.urls import Resolver404, get_script_prefix, resolve
from django.utils.datastructures import MultiValueDict

from shop.middleware import address_problem

HEADER = "X-Next-Page"
PAGE_URL_HEADER = "X-Page-URL"
MAX_HOPS = 3
# URL names of the pages the decorated forms lead to (storefront/urls.py): the cart, the
# checkout steps, an order's page, the product page a refused add-to-cart goes back to, the
# drop's pages.
INLINE_PAGES = frozenset(
    {
        "cart",
        "checkout",
        "checkout-identify",
        "checkout-address",
        "checkout-shipping",
        "checkout-payment",
        "checkout-review",
        "order",
        "product",
        "drop-wait",
        "drop-sold-out",
    }
)
# What the CSRF middleware reads back from a request's META after the view ran: a page that
# draws a token keeps the cookie fresh, as a separate GET of that page would.
_CSRF_KEYS = ("CSRF_COOKIE", "CSRF_COOKIE_NEEDS_UPDATE")


def answers_with_next_page(view):
    """Decorate a POST view whose success is a redirect to one of the shop's pages."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "POST" and request.headers.get(HEADER) == "inline":
            return follow_inline(request, response)
        return response

    return wrapper


def follow_inline(request, response):
    """`response`, or when it is a redirect to a page of this site, that page (rendered for
    this request as its GET), with its address in X-Page-URL. Cookies the redirects set are
    kept on the page's response."""
    cookies = []
    location = ""
    for _hop in range(MAX_HOPS):
        if not isinstance(response, HttpResponseRedirectBase):
            break
        target = _local_target(response["Location"])
        if target is None:
            break
        path_info, query = target
        try:
            match = resolve(path_info)
        except Resolver404:
            break
        if match.url_name not in INLINE_PAGES:
            break
        page_request = _as_get(request, path_info, query, match)
        if address_problem(page_request) is not None:
            break  # the browser asks for it and gets the middleware's 400
        cookies.append(response.cookies)
        location = response["Location"]
        response = match.func(page_request, *match.args, **match.kwargs)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response = response.render()
        for key in _CSRF_KEYS:
            if key in page_request.META:
                request.META[key] = page_request.META[key]
    if not location:
        return response
    for earlier in reversed(cookies):
        for name, morsel in earlier.items():
            if name not in response.cookies:
                response.cookies[name] = morsel
    if not isinstance(response, HttpResponseRedirectBase):
        response[PAGE_URL_HEADER] = location
    return response


def _local_target(location: str) -> tuple[str, str] | None:
    """(path_info, query string) of a redirect to this site, else None."""
    parts = urlsplit(location)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    prefix = get_script_prefix()
    if not parts.path.startswith(prefix):
        return None
    return "/" + parts.path[len(prefix) :], parts.query


def _as_get(request, path_info: str, query: str, match):
    """A GET of `path_info` that shares this request's session, user, messages and market."""
    page = copy.copy(request)
    page.method = "GET"
    page.META = {**request.META, "REQUEST_METHOD": "GET", "QUERY_STRING": query}
    page.META.pop("CONTENT_TYPE", None)
    page.META.pop("CONTENT_LENGTH", None)
    page.path_info = path_info
    page.path = get_script_prefix().rstrip("/") + path_info
    page.GET = QueryDict(query)
    page.POST = QueryDict()
    page._files = MultiValueDict()
    page.resolver_match = match
    return page
