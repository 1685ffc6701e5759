"""Pieces of the storefront shell (templates/jinja2/base.html, globals of storefront.jinja2_env):
category navigation, market switching, the mini-cart, the shell's fixed links."""

from functools import lru_cache
from typing import NamedTuple

import jinja2
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from storefront import carts, page_cache


class _NavLink(NamedTuple):
    name: str
    nav_url: str
    is_current: bool


class _MarketChoice(NamedTuple):
    code: str
    currency: str


def _fragment(template_name: str, language: str | None, items: tuple) -> str:
    """A header fragment drawn from `template_name` with `items` (hashable (name, value)
    pairs), kept per worker. The header is the same for most requests (one language, the same
    markets, categories and cart count), and drawing its three fragments on every page cost
    ~0.4 ms a page. `language`: the one active, which the template's translations read. With
    DEBUG on (`make run`) nothing is kept, so an edited template shows on the next page, as
    the other templates do."""
    if settings.DEBUG:
        return render_to_string(template_name, dict(items))
    return _kept_fragment(template_name, language, items)


@lru_cache(maxsize=1024)  # bounded: a page's query parameters are part of the market selector
def _kept_fragment(template_name: str, language: str | None, items: tuple) -> str:
    return render_to_string(template_name, dict(items))


# {(script prefix, URLconf, name): path}: what reverse() answers for the shell's fixed links,
# which never change while the URLconf does not (~30-100 µs each through reverse(), six on
# every page).
_site_urls: dict[tuple, str] = {}


def site_url(name: str) -> str:
    """`{{ site_url('home') }}`: the path of a URL without arguments, kept."""
    key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, name)
    path = _site_urls.get(key)
    if path is None:
        path = _site_urls[key] = reverse(name)
    return path


@jinja2.pass_context
def category_nav(context):
    """Top-level categories for the header navigation, from the cached category tree (no query
    while the nav version holds)."""
    request = context.get("request")
    current = getattr(request, "path", "")
    roots = page_cache.get_category_tree(request).roots()
    links = tuple(_NavLink(c.name, c.url, current.startswith(c.url)) for c in roots)
    items = (("categories", links),)
    return mark_safe(_fragment("storefront/includes/category_nav.html", get_language(), items))


# The market selector's form is drawn with these in place of its `action` (the page's path)
# and of the hidden inputs that keep the page's other query parameters, and kept per worker
# that way; the path and the inputs go in afterwards. Kept with them in it, the fragment was
# drawn again for every product, order and search page (~0.5 ms each; a guest's order page
# carries its own signed token), and its copies pushed the shared header's out of the
# worker's bounded cache.
_ACTION = "\x00action\x00"
_KEPT_PARAMS = "\x00kept\x00"


@jinja2.pass_context
def market_selector(context):
    """A GET form that reloads the page in another market, keeping the other query parameters."""
    request = context.get("request")
    kept = []
    if request is not None:
        for key, values in request.GET.lists():
            if key not in ("market", "page"):
                kept.extend(
                    f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">'
                    for value in values
                )
    current = context.get("current_market")
    markets = tuple(_MarketChoice(m.code, m.currency) for m in context.get("markets", []))
    drawn = _fragment(
        "storefront/includes/market_form.html",
        get_language(),
        (
            ("markets", markets),
            ("current_market", _MarketChoice(current.code, current.currency) if current else None),
            ("kept_params", _KEPT_PARAMS),
            ("action", _ACTION),
        ),
    )
    # Escaped as {{ action }} and {{ key }} / {{ value }} would have been (a NUL cannot reach
    # here: shop.middleware refuses it in the address and the query).
    path = escape(getattr(request, "path", "/"))
    return mark_safe(drawn.replace(_ACTION, path).replace(_KEPT_PARAMS, "".join(kept)))


@jinja2.pass_context
def mini_cart(context):
    """The header's cart link with the number of units in the visitor's cart (one query at
    most; none for a guest who has no cart)."""
    request = context.get("request")
    count = carts.item_count(request) if request is not None else 0
    return mark_safe(
        _fragment("storefront/includes/mini_cart.html", get_language(), (("count", count),))
    )
