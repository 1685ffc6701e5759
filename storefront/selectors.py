"""Reads shaped for the storefront's pages: listing tiles, filter facets, breadcrumbs.

They build on the catalog's customer reads (catalog.selectors) and, as promotions and orders
land, will combine theirs (promoted prices on a card, the mini-cart); no domain app imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from catalog import selectors as catalog_selectors
from catalog.models import (
    Attribute,
    Category,
    Product,
    ProductAttributeValue,
)
from shop.models import Market
from shop.money import Money


def list_top_categories(*, limit: int) -> list[Category]:
    """The first `limit` top-level categories in menu order, for the home page."""
    return list(Category.objects.filter(parent__isnull=True).order_by("position", "name")[:limit])


@dataclass(frozen=True)
class ProductCard:
    """What a listing tile shows: copy in the market's locale, its first image, its price."""

    handle: str
    url: str
    title: str
    brand: str
    min_price_cents: int
    max_price_cents: int
    currency: str
    image_url: str
    image_alt: str
    in_stock: bool | None  # None: no stock backend, make no claim
    product_id: int = 0  # for the page's stock read; never rendered

    @property
    def price_varies(self) -> bool:
        return self.min_price_cents != self.max_price_cents

    def as_shown(self, in_stock: bool | None, price_from: str) -> dict:
        """The card for a template, with `in_stock` and its price as shown (`price_from`: "from"
        in the page's language, before a price that varies). A dict, because the template
        engine tries an item lookup before the attribute, and on a dataclass that lookup raises
        first (a quarter of rendering a page of cards); the price written here, not by a filter
        per card in the template (another ~fifth)."""
        price = str(Money(self.min_price_cents, self.currency))
        return {
            **self.__dict__,
            "in_stock": in_stock,
            "price_text": f"{price_from} {price}" if self.price_varies else price,
            "initial": self.title[:1].upper(),
        }


def read_product_cards(*, product_ids: list[int], market: Market) -> dict[int, tuple]:
    """{product id: (card, its active variant ids)} of the sellable ones among `product_ids`,
    with no stock claim (the page reads stock fresh: storefront.listing_page.with_stock)."""
    locale = market.default_locale
    cards = {}
    for row in catalog_selectors.list_card_products(market=market, product_ids=product_ids):
        product, image = row.product, row.image
        card = ProductCard(
            handle=product.handle,
            url=product.get_absolute_url(),
            title=row.title,
            brand=product.brand.name if product.brand_id else "",
            min_price_cents=product.min_price_cents,
            max_price_cents=product.max_price_cents,
            currency=market.currency,
            image_url=image.url if image else "",
            image_alt=image.alt_for(locale) if image else "",
            in_stock=None,
            product_id=product.pk,
        )
        cards[product.pk] = (card, row.variant_ids)
    return cards


def list_category_ancestors(*, category: Category) -> list[Category]:
    """The category's ancestors and itself, root first, for a breadcrumb (one query)."""
    parts = category.path.split("/")
    paths = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return list(Category.objects.filter(path__in=paths).order_by("path"))


@dataclass(frozen=True)
class AttributeFacet:
    """A filterable attribute and the values present among some products: [(value, label)]."""

    code: str
    name: str
    choices: list[tuple[str, str]]


def list_attribute_facets(*, products: QuerySet[Product], locale: str) -> list[AttributeFacet]:
    """Filterable attributes with the distinct values the given products have (one query).

    A choice's value is what `list_storefront_products(attribute_filters=...)` matches on.
    """
    rows = (
        ProductAttributeValue.objects.filter(
            product__in=products.order_by().values("pk"), attribute__is_filterable=True
        )
        .values(
            "attribute_id",
            "value_text",
            "value_number",
            "value_boolean",
            "value_translations",
            "attribute__position",
            "attribute__code",
        )
        .order_by("attribute__position", "attribute__code", "value_number", "value_text")
        .distinct()
    )
    rows = list(rows)
    attributes = {
        a.pk: a for a in Attribute.objects.filter(pk__in={r["attribute_id"] for r in rows})
    }
    facets: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {}
    for row in rows:
        attribute = attributes[row["attribute_id"]]
        value_row = ProductAttributeValue(
            attribute=attribute,
            value_text=row["value_text"],
            value_number=row["value_number"],
            value_boolean=row["value_boolean"],
            value_translations=row["value_translations"] or {},
        )
        if attribute.kind == Attribute.Kind.NUMBER:
            value = "" if row["value_number"] is None else str(row["value_number"])
        elif attribute.kind == Attribute.Kind.BOOLEAN:
            value = {True: "yes", False: "no"}.get(row["value_boolean"], "")
        else:
            value = (row["value_text"] or "").strip()
        if not value:
            continue
        _, choices = facets.setdefault(attribute.code, (attribute.name_for(locale), {}))
        choices.setdefault(value.lower(), (value, value_row.display_value(locale)))
    return [
        AttributeFacet(code=code, name=name, choices=list(choices.values()))
        for code, (name, choices) in facets.items()
    ]
