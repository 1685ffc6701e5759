"""Pieces of the storefront shell (templates/base.html): category navigation, market switching,
the mini-cart."""

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from storefront import carts, page_cache

register = template.Library()

# {(script prefix, URLconf, name): path}: what reverse() answers for the shell's fixed links,
# which never change while the URLconf does not (~30-100 µs each through {% url %}, six on
# every page).
_site_urls: dict[tuple, str] = {}


@register.simple_tag
def site_url(name: str) -> str:
    """`{% site_url 'home' %}`: {% url 'home' %} for a URL without arguments, kept."""
    key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, name)
    path = _site_urls.get(key)
    if path is None:
        path = _site_urls[key] = reverse(name)
    return path


@register.inclusion_tag("storefront/includes/category_nav.html", takes_context=True)
def category_nav(context):
    """Top-level categories for the header navigation, from the cached category tree (no query
    while the nav version holds)."""
    request = context.get("request")
    current = getattr(request, "path", "")
    roots = page_cache.get_category_tree(request).roots()
    return {
        "categories": [
            {"name": c.name, "nav_url": c.url, "is_current": current.startswith(c.url)}
            for c in roots
        ]
    }


@register.inclusion_tag("storefront/includes/market_form.html", takes_context=True)
def market_selector(context):
    """A GET form that reloads the page in another market, keeping the other query parameters."""
    request = context.get("request")
    kept = []
    if request is not None:
        for key, values in request.GET.lists():
            if key not in ("market", "page"):
                kept.extend((key, value) for value in values)
    return {
        "markets": context.get("markets", []),
        "current_market": context.get("current_market"),
        "kept_params": kept,
        "action": getattr(request, "path", "/"),
    }


@register.inclusion_tag("storefront/includes/mini_cart.html", takes_context=True)
def mini_cart(context):
    """The header's cart link with the number of units in the visitor's cart (one query at
    most; none for a guest who has no cart)."""
    request = context.get("request")
    return {"count": carts.item_count(request) if request is not None else 0}
