"""Pieces of the storefront shell (templates/base.html): category navigation, market switching,
the mini-cart."""

from django import template

from catalog.models import Category
from storefront import carts

register = template.Library()


@register.inclusion_tag("storefront/includes/category_nav.html", takes_context=True)
def category_nav(context):
    """Top-level categories for the header navigation (one query per page)."""
    request = context.get("request")
    current = getattr(request, "path", "")
    roots = list(Category.objects.filter(parent__isnull=True).order_by("position", "name"))
    for category in roots:
        url = f"/c/{category.path}/"
        category.nav_url = url
        category.is_current = current.startswith(url)
    return {"categories": roots}


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
