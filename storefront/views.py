"""Storefront pages: the home page, category listings, search and the product page.

Pages compose reads of every domain app (catalog today; inventory through the catalog's
availability port; promotions and orders as they land). No domain app imports this one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from catalog import selectors as catalog_selectors
from catalog.models import Product
from shop.models import Market
from shop.money import Money
from storefront import selectors
from storefront.forms import ListingForm

PER_PAGE = 24
HOME_PRODUCTS = 8
HOME_CATEGORIES = 6


def _paginate(request, products, market: Market) -> dict:
    page_obj = Paginator(products, PER_PAGE).get_page(request.GET.get("page"))
    return {
        "page_obj": page_obj,
        "page_range": page_obj.paginator.get_elided_page_range(page_obj.number),
        "cards": selectors.list_product_cards(products=page_obj.object_list, market=market),
    }


@require_safe
def home(request):
    """The front page: featured and newest products and the top-level categories."""
    market = request.market
    featured = list(
        catalog_selectors.list_storefront_products(market=market, sort="featured")[:HOME_PRODUCTS]
    )
    newest = catalog_selectors.list_storefront_products(market=market, sort="newest").exclude(
        pk__in=[p.pk for p in featured]
    )[:HOME_PRODUCTS]
    return render(
        request,
        "storefront/home.html",
        {
            "featured": selectors.list_product_cards(products=featured, market=market),
            "newest": selectors.list_product_cards(products=newest, market=market),
            "top_categories": selectors.list_top_categories(limit=HOME_CATEGORIES),
        },
    )


@require_safe
def category_detail(request, path: str):
    """`/c/<path>/`: active products in the category and its descendants, sorted and filtered."""
    market = request.market
    category = catalog_selectors.get_category(path=path)
    if category.path != path.strip("/"):
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(f"/c/{category.path}/{query}", permanent=True)
    in_category = catalog_selectors.list_storefront_products(market=market, category=category)
    facets = selectors.list_attribute_facets(products=in_category, locale=market.default_locale)
    form = ListingForm(request.GET or None, facets=facets)
    products = catalog_selectors.list_storefront_products(
        market=market,
        category=category,
        sort=form.sort_value,
        attribute_filters=form.attribute_filters,
    )
    return render(
        request,
        "storefront/category.html",
        {
            "category": category,
            "breadcrumbs": selectors.list_category_ancestors(category=category)[:-1],
            "subcategories": category.children.order_by("position", "name"),
            "form": form,
            "filtered": bool(form.attribute_filters),
            **_paginate(request, products, market),
        },
    )


@require_safe
def search(request):
    """`/search?q=`: full-text search over active products, best match first."""
    market = request.market
    query = request.GET.get("q", "").strip()[:200]
    form = ListingForm(request.GET or None, relevance=True)
    context = {"search_query": query, "form": form}
    if query:
        products = catalog_selectors.list_storefront_products(
            market=market, query=query, sort=form.sort_value
        )
        context.update(_paginate(request, products, market))
    return render(request, "storefront/search.html", context)


@require_safe
def product_detail(request, handle: str):
    """`/p/<handle>/`: the product in the market's locale and currency, with its variants."""
    market = request.market
    product = catalog_selectors.get_storefront_product(handle=handle, market=market)
    locale = market.default_locale
    copy = catalog_selectors.get_localized_copy(product=product, locale=locale)
    variants = _variant_rows(product, market)
    selected = _pick_variant(variants, request.GET.get("sku", ""))
    category = next(iter(product.categories.all()), None)
    breadcrumbs = selectors.list_category_ancestors(category=category) if category else []
    media = list(product.media.all())
    main_image = (selected and selected["image"]) or (
        {"url": media[0].url, "alt": media[0].alt_for(locale)} if media else None
    )
    return render(
        request,
        "storefront/product.html",
        {
            "product": product,
            "copy": copy,
            "brand": product.brand,
            "breadcrumbs": breadcrumbs,
            "media": [{"url": m.url, "alt": m.alt_for(locale)} for m in media],
            "main_image": main_image,
            "options": _option_rows(product, variants, selected),
            "variants": variants,
            "selected": selected,
            "specs": [
                {"name": v.attribute.name_for(locale), "value": v.display_value(locale)}
                for v in product.attribute_values.all()
            ],
            "variant_data": [_public_variant(v) for v in variants],
        },
    )


def _variant_rows(product: Product, market: Market) -> list[dict]:
    """The product's variants sellable in `market` (priced in its currency), for the page."""
    locale = market.default_locale
    priced = [v for v in product.sellable_variants if v.prices.all()]
    quantities = catalog_selectors.get_available_quantities(
        variant_ids=[v.pk for v in priced], market=market
    )
    images = _variant_images(product, priced, locale)
    rows = []
    for variant in priced:
        price = variant.prices.all()[0]
        values = list(variant.option_values.all())
        status, label = _availability(None if quantities is None else quantities[variant.pk])
        rows.append(
            {
                "sku": variant.sku,
                "label": " / ".join(v.value for v in values) or variant.title or variant.sku,
                "options": {v.option.name: v.value for v in values},
                "price": str(Money(price.amount_cents, price.currency)),
                "compare_at": (
                    str(Money(price.compare_at_cents, price.currency)) if price.is_on_sale else ""
                ),
                "status": status,
                "availability": label,
                "can_buy": status != "out_of_stock",
                "image": images.get(variant.pk),
            }
        )
    return rows


def _variant_images(product: Product, variants: list, locale: str) -> dict[int, dict]:
    """{variant id: image}: its own image, else one of a variant with the same value of the
    first option (a photo attached to Rust/S also shows for Rust/L)."""
    own = {}
    for item in product.media.all():
        if item.variant_id and item.variant_id not in own:
            own[item.variant_id] = {"url": item.url, "alt": item.alt_for(locale)}
    first_option = next(iter(product.options.all()), None)
    leading = {
        v.pk: next((ov.value for ov in v.option_values.all() if ov.option == first_option), None)
        for v in variants
    }
    by_leading = {}
    for variant in variants:
        if variant.pk in own and leading[variant.pk] is not None:
            by_leading.setdefault(leading[variant.pk], own[variant.pk])
    return {
        v.pk: own.get(v.pk) or by_leading.get(leading[v.pk])
        for v in variants
        if v.pk in own or leading[v.pk] in by_leading
    }


def _availability(quantity: int | None) -> tuple[str, str]:
    """(status, customer-facing label); no claim at all when there is no stock backend."""
    if quantity is None:
        return "unknown", ""
    if quantity <= 0:
        return "out_of_stock", _("Out of stock")
    if quantity <= settings.LOW_STOCK_THRESHOLD:
        return "low_stock", _("Only %(count)d left") % {"count": quantity}
    return "in_stock", _("In stock")


def _pick_variant(variants: list[dict], sku: str) -> dict | None:
    """The variant named in `?sku=`, else the first one a customer can buy, else the first."""
    by_sku = {v["sku"]: v for v in variants}
    if sku in by_sku:
        return by_sku[sku]
    return next((v for v in variants if v["can_buy"]), variants[0] if variants else None)


def _option_rows(product: Product, variants: list[dict], selected: dict | None) -> list[dict]:
    """One selector per option, listing only values some sellable variant has."""
    used = {(name, value) for v in variants for name, value in v["options"].items()}
    rows = []
    for index, option in enumerate(product.options.all()):
        values = [ov.value for ov in option.values.all() if (option.name, ov.value) in used]
        if values:
            current = (selected or {}).get("options", {}).get(option.name, "")
            rows.append(
                {
                    "name": option.name,
                    "id": f"option-{index}",
                    "values": values,
                    "current": current,
                }
            )
    return rows


def _public_variant(row: dict) -> dict:
    """The JSON the option picker reads: no database ids, no identifiers."""
    keys = ("sku", "options", "price", "compare_at", "status", "availability", "can_buy", "image")
    return {key: row[key] for key in keys}
