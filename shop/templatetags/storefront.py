"""Pieces of the storefront shell: market switching."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/market_form.html", takes_context=True)
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
