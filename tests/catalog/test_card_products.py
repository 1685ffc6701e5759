"""catalog.selectors.list_card_products: what a product card needs, in compiled batches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import ProductStatus, VariantStatus
from catalog.selectors import CARD_BATCH, list_card_products
from shop.models import Market
from tests.factories.catalog import (
    BrandFactory,
    MediaFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    ProductTranslationFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def _variant(product, size: str, prices: dict):
    option = product.options.first() or OptionFactory(product=product, name="Size")
    value = OptionValueFactory(option=option, value=size)
    return VariantFactory(product=product, option_values=[value], prices=prices)


def _sellable(n: int, **kwargs):
    product = ProductFactory(title=f"Card Product {n}", **kwargs)
    _variant(product, "S", {"USD": 1000 + n, "EUR": 900 + n})
    _variant(product, "L", {"USD": 3000 + n, "EUR": 2900 + n})
    return product


def test_cards_come_in_the_order_asked_with_prices_brand_title_image_and_active_variants():
    us = Market.objects.get(code="US")
    brand = BrandFactory(name="Harbor Goods")
    products = [_sellable(n, brand=brand) for n in range(CARD_BATCH + 6)]  # two batches
    first = products[0]
    MediaFactory(product=first, position=2, external_url="https://img.example.com/b.jpg")
    MediaFactory(
        product=first, position=1, external_url="https://img.example.com/a.jpg", alt_text=""
    )
    retired = VariantFactory(product=first, prices={"USD": 1})
    retired.status = VariantStatus.INACTIVE
    retired.save()
    asked = [p.pk for p in reversed(products)]

    with CaptureQueriesContext(connection) as queries:
        cards = list_card_products(market=us, product_ids=asked)

    assert [c.product.pk for c in cards] == asked
    # Per batch of CARD_BATCH, whatever the page holds: the products (with their prices,
    # titles and, on PostgreSQL, active variants), their images (and elsewhere the variants).
    assert len(queries) == (4 if connection.vendor == "postgresql" else 6)
    card = cards[-1]
    assert card.product.pk == first.pk
    assert (card.product.min_price_cents, card.product.max_price_cents) == (1000, 3000)
    assert card.product.brand.name == "Harbor Goods"
    assert card.title == "Card Product 0"
    assert card.image.url == "https://img.example.com/a.jpg"
    with CaptureQueriesContext(connection) as queries:
        assert card.image.alt_for("en") == "Card Product 0"  # the product is already there
        assert card.product.get_absolute_url() == f"/p/{first.handle}/"
    assert not queries
    assert card.variant_ids == [v.pk for v in first.variants.order_by("position", "pk")][:2]
    assert retired.pk not in card.variant_ids
    assert cards[0].image is None


def test_only_what_the_market_can_sell_and_its_copy_in_the_markets_language():
    de = Market.objects.get(code="EU")
    priced = _sellable(1)
    ProductTranslationFactory(product=priced, locale=de.default_locale, title="Kartenprodukt")
    dollars_only = ProductFactory()
    VariantFactory(product=dollars_only, prices={"USD": 500})
    draft = _sellable(2, status=ProductStatus.DRAFT)
    untranslated = _sellable(3)
    euros_retired = ProductFactory()  # its only variant priced in euros is no longer sold
    _variant(euros_retired, "S", {"USD": 500})
    retired = _variant(euros_retired, "L", {"EUR": 400})
    retired.status = VariantStatus.INACTIVE
    retired.save()

    asked = [draft.pk, dollars_only.pk, euros_retired.pk, untranslated.pk, priced.pk, priced.pk, 0]
    cards = list_card_products(market=de, product_ids=asked)

    assert [c.product.pk for c in cards] == [untranslated.pk, priced.pk, priced.pk]
    assert cards[0].title == "Card Product 3"
    assert cards[1].title == "Kartenprodukt"
    assert cards[1].product.min_price_cents == 901  # in the market's currency
    assert list_card_products(market=de, product_ids=[]) == []
