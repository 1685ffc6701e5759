"""The category navigation of the storefront header."""

from django import template

from catalog.models import Category

register = template.Library()


@register.inclusion_tag("includes/category_nav.html", takes_context=True)
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
