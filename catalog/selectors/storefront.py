"""Catalog reads for customers: what the storefront pages and the public API may show.

Only active products and active variants, prices in the market's currency, copy in the market's
locale, availability from the registered availability reader (catalog/ports.py; the catalog
never imports inventory). Page-shaped reads (product cards, facets, breadcrumbs) are the
storefront app's (storefront/selectors.py); reads of every status are in `staff.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    Exists,
    IntegerField,
    JSONField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import JSONObject
from django.http import Http404

from catalog import ports
from catalog.models import (
    Category,
    Media,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductTranslation,
    Variant,
    VariantPrice,
    VariantStatus,
)
from catalog.selectors.search import search_products
from shop.compiled import CompiledQuery
from shop.models import Market

SORTS = {
    "featured": ("-published_at", "-created_at", "pk"),
    "newest": ("-created_at", "pk"),
    "price_asc": ("min_price_cents", "pk"),
    "price_desc": ("-max_price_cents", "pk"),
    "title": ("title", "pk"),
}


def _sellable_in(currency: str) -> QuerySet[Product]:
    """Active products with at least one active variant priced in `currency`."""
    priced = VariantPrice.objects.filter(
        variant__product=OuterRef("pk"), variant__status=VariantStatus.ACTIVE, currency=currency
    )
    return Product.objects.active().filter(Exists(priced))


def _with_price_range(products: QuerySet[Product], currency: str) -> QuerySet[Product]:
    """`products` with their brand and `min_price_cents` / `max_price_cents` in `currency`."""
    return products.select_related("brand").annotate(
        min_price_cents=_price_subquery(currency, Min),
        max_price_cents=_price_subquery(currency, Max),
    )


def _active_prices(currency: str) -> QuerySet[VariantPrice]:
    """The outer product's active variants' prices in `currency`, grouped by product: a
    subquery's rows, to which the caller adds its aggregate."""
    return (
        VariantPrice.objects.filter(
            variant__product=OuterRef("pk"),
            variant__status=VariantStatus.ACTIVE,
            currency=currency,
        )
        .order_by()
        .values("variant__product")
    )


def _price_subquery(currency: str, aggregate):
    prices = _active_prices(currency).annotate(value=aggregate("amount_cents")).values("value")
    return Subquery(prices, output_field=IntegerField())


def list_storefront_products(
    *,
    market: Market,
    category: Category | None = None,
    query: str = "",
    sort: str = "featured",
    attribute_filters: dict[str, str] | None = None,
) -> QuerySet[Product]:
    """Active products with `min_price_cents` / `max_price_cents` in the market's currency.

    Only products with at least one active variant priced in that currency are listed, so the
    storefront never shows a product it cannot sell in the market. `category` includes its
    descendants; `query` searches (catalog/selectors/search.py), best match first unless another
    `sort` is asked for.
    """
    query = query.strip()
    if query:
        # The search document knows what the market can sell (catalog/selectors/search.py).
        products = search_products(market=market, query=query)
    else:
        products = _sellable_in(market.currency)
    products = _with_price_range(products, market.currency)
    if category is not None:
        in_tree = Product.categories.through.objects.filter(
            product=OuterRef("pk"), category_id__in=category.descendant_ids()
        )
        products = products.filter(Exists(in_tree))
    for code, value in (attribute_filters or {}).items():
        matches = Q(value_text__iexact=value)
        if _int_or_none(value) is not None:
            matches |= Q(value_number=_int_or_none(value))
        if value.lower() in ("yes", "no", "true", "false"):
            matches |= Q(value_boolean=value.lower() in ("yes", "true"))
        attribute_values = ProductAttributeValue.objects.filter(
            matches, product=OuterRef("pk"), attribute__code=code, attribute__is_filterable=True
        )
        products = products.filter(Exists(attribute_values))
    if query and sort == "featured":
        return products.order_by("-rank", "-pk")
    return products.order_by(*SORTS.get(sort, SORTS["featured"]))


# --- product cards ------------------------------------------------------------------------------

CARD_BATCH = 24  # products per compiled read: a page of cards (the storefront's page size)
_CARD_SLOTS = {f"p{i}": int for i in range(CARD_BATCH)}


def _batch_ids(slots: dict) -> list[int]:
    return [slots[f"p{i}"] for i in range(CARD_BATCH)]


def _card_products(currency: str, locale: str, **ids: int) -> QuerySet[Product]:
    """The active products among the ids, with their brand and:

    - `price_range`: {"min", "max"} price of their active variants in `currency`, NULL when
      none is priced (not sellable: the caller drops them). One subquery instead of
      _sellable_in's EXISTS and _with_price_range's two: each walked the product's variants and
      prices again (~two thirds of the statement's work).
    - `local_title`: the title in `locale`, NULL when not translated.
    - on PostgreSQL, `active_variant_ids`: their active variants' ids, in display order
      (elsewhere _CARD_VARIANTS reads them).

    One statement for what took three (products, titles, variants): each round trip was
    ~0.35 ms of a worker's CPU.
    """
    prices = (
        _active_prices(currency)
        .annotate(range=JSONObject(min=Min("amount_cents"), max=Max("amount_cents")))
        .values("range")
    )
    titles = ProductTranslation.objects.filter(product=OuterRef("pk"), locale=locale)
    products = (
        Product.objects.active()
        .filter(pk__in=_batch_ids(ids))
        .select_related("brand")
        .annotate(
            price_range=Subquery(prices, output_field=JSONField()),
            local_title=Subquery(titles.values("title")[:1]),
        )
        .only("pk", "handle", "title", "brand_id", "brand__name")
        .order_by()
    )
    if connection.vendor == "postgresql":
        variants = Variant.objects.filter(product=OuterRef("pk"), status=VariantStatus.ACTIVE)
        products = products.annotate(
            active_variant_ids=ArraySubquery(variants.order_by("position", "pk").values("pk"))
        )
    return products


_CARD_PRODUCTS = CompiledQuery(_card_products, currency=str, locale=str, **_CARD_SLOTS)
_CARD_MEDIA = CompiledQuery(
    lambda **ids: Media.objects.filter(product_id__in=_batch_ids(ids)).order_by(
        "product_id", "position", "pk"
    ),
    **_CARD_SLOTS,
)
_CARD_VARIANTS = CompiledQuery(
    lambda **ids: (
        Variant.objects.filter(product_id__in=_batch_ids(ids), status=VariantStatus.ACTIVE)
        .order_by("product_id", "position", "pk")
        .values_list("product_id", "pk")
    ),
    **_CARD_SLOTS,
)


@dataclass(frozen=True)
class CardProduct:
    """What a product card shows of a product sellable in a market: the product (handle, title,
    brand, `min_price_cents` / `max_price_cents` in the market's currency), its title in the
    market's locale, its first image and its active variants' ids."""

    product: Product
    title: str
    image: Media | None
    variant_ids: list[int]


def list_card_products(*, market: Market, product_ids: list[int]) -> list[CardProduct]:
    """The sellable products among `product_ids`, in that order, as their cards need them.

    Two compiled queries per CARD_BATCH ids (shop.compiled: shaped once per connection, so a
    page of cards costs no query building: it was most of a cold listing or search page's
    CPU): the products with their prices, brand, title in the market's locale and active
    variants (a third query reads the variants where the database has no array subquery),
    then their images.
    """
    found: dict[int, CardProduct] = {}
    unique = list(dict.fromkeys(product_ids))
    for start in range(0, len(unique), CARD_BATCH):
        batch = unique[start : start + CARD_BATCH]
        # The compiled shape has CARD_BATCH slots: a short batch repeats an id, matched once.
        padded = batch + [batch[0]] * (CARD_BATCH - len(batch))
        slots = {f"p{i}": pk for i, pk in enumerate(padded)}
        found.update(_read_card_batch(market, slots))
    return [found[pk] for pk in product_ids if pk in found]


def _read_card_batch(market: Market, slots: dict[str, int]) -> dict[int, CardProduct]:
    products = {}
    rows = _CARD_PRODUCTS.objects(currency=market.currency, locale=market.default_locale, **slots)
    for product in rows:
        if product.price_range is not None:  # else no active variant is priced here
            product.min_price_cents = product.price_range["min"]
            product.max_price_cents = product.price_range["max"]
            products[product.pk] = product
    if not products:
        return {}
    images: dict[int, Media] = {}
    for media in _CARD_MEDIA.objects(**slots):
        if media.product_id in products and media.product_id not in images:
            media.product = products[media.product_id]  # its alt text falls back to the title
            images[media.product_id] = media
    variant_ids = {pk: getattr(p, "active_variant_ids", None) for pk, p in products.items()}
    if any(ids is None for ids in variant_ids.values()):  # not read with the products
        variant_ids = {pk: [] for pk in products}
        for product_id, variant_id in _CARD_VARIANTS.rows(**slots):
            if product_id in variant_ids:
                variant_ids[product_id].append(variant_id)
    return {
        pk: CardProduct(
            product=product,
            title=product.local_title or product.title,
            image=images.get(pk),
            variant_ids=variant_ids[pk],
        )
        for pk, product in products.items()
    }


def list_products_in_order(*, market: Market, product_ids: list[int]) -> list[Product]:
    """The sellable products among `product_ids`, in that order, with the listing's price
    annotations (one query): a page of search results picked on the search index."""
    rows = {p.pk: p for p in list_storefront_products(market=market).filter(pk__in=product_ids)}
    return [rows[pk] for pk in product_ids if pk in rows]


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def get_storefront_product(*, handle: str, market: Market) -> Product:
    """One active product with everything its page needs, prefetched. Raises Http404.

    `product.sellable_variants` holds its active variants with their prices and option values.
    """
    variants = (
        Variant.objects.filter(status=VariantStatus.ACTIVE)
        .prefetch_related(
            Prefetch("prices", queryset=VariantPrice.objects.filter(currency=market.currency)),
            Prefetch("option_values", queryset=OptionValue.objects.select_related("option")),
            "media",
        )
        .order_by("position", "pk")
    )
    product = (
        Product.objects.active()
        .select_related("brand")
        .prefetch_related(
            "options__values",
            "categories",
            "translations",
            Prefetch(
                "attribute_values",
                queryset=ProductAttributeValue.objects.select_related("attribute"),
            ),
            Prefetch("media", queryset=Media.objects.order_by("position", "pk")),
            Prefetch("variants", queryset=variants, to_attr="sellable_variants"),
        )
        .filter(handle=handle)
        .first()
    )
    if product is None:
        raise Http404("No such product")
    return product


@dataclass(frozen=True)
class LocalizedCopy:
    title: str
    description: str
    seo_title: str
    seo_description: str


def get_localized_copy(*, product: Product, locale: str) -> LocalizedCopy:
    """The product's copy in `locale`, falling back field by field to the default copy."""
    translation = next((t for t in product.translations.all() if t.locale == locale), None)
    title = (translation and translation.title) or product.title
    description = (translation and translation.description) or product.description
    return LocalizedCopy(
        title=title,
        description=description,
        seo_title=(translation and translation.seo_title) or product.seo_title or title,
        seo_description=(translation and translation.seo_description)
        or product.seo_description
        or description[:160],
    )


def get_variant_prices(*, variant_ids, currency: str) -> dict[int, VariantPrice]:
    """{variant_id: VariantPrice} in one currency, one query."""
    return {
        p.variant_id: p
        for p in VariantPrice.objects.filter(variant_id__in=list(variant_ids), currency=currency)
    }


def get_available_quantities(*, variant_ids, market: Market) -> dict[int, int] | None:
    """{variant_id: units a customer can buy in `market`}, or None when no stock backend is
    plugged in (the catalog alone knows nothing of stock: show no availability claim)."""
    reader = ports.availability()
    if reader is None:
        return None
    quantities = reader(variant_ids=list(variant_ids), market=market)
    return {vid: max(0, int(quantities.get(vid, 0))) for vid in variant_ids}


def get_in_stock_product_ids(*, product_ids, market: Market) -> set[int] | None:
    """Ids among `product_ids` with at least one active variant available, or None (no backend)."""
    variant_rows = list_active_variant_ids(product_ids=product_ids)
    return in_stock_product_ids(variant_rows=variant_rows, market=market)


def list_active_variant_ids(*, product_ids) -> list[tuple[int, int]]:
    """[(variant id, product id)] of the active variants of `product_ids`."""
    return list(
        Variant.objects.filter(product_id__in=list(product_ids), status=VariantStatus.ACTIVE)
        .values_list("pk", "product_id")
        .order_by()
    )


def in_stock_product_ids(*, variant_rows, market: Market) -> set[int] | None:
    """Product ids of `variant_rows` [(variant id, product id)] with a variant available in
    `market`, or None (no stock backend)."""
    available = get_available_quantities(variant_ids=[v for v, _ in variant_rows], market=market)
    if available is None:
        return None
    return {pid for vid, pid in variant_rows if available.get(vid, 0) > 0}


def list_category_tree() -> list[Category]:
    """Every category in path order, for navigation (children follow their parent)."""
    categories = list(Category.objects.order_by("path"))
    for category in categories:
        category.depth = category.path.count("/")
    return categories


def get_category(*, path: str) -> Category:
    """The category at slug `path` ("apparel/hoodies") or a bare slug. Raises Http404."""
    category = Category.objects.filter(path=path.strip("/")).first()
    if category is None:
        category = Category.objects.filter(slug=path.strip("/").rsplit("/", 1)[-1]).first()
    if category is None:
        raise Http404("No such category")
    return category
