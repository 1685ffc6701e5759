"""orders.pricing.load_cart_lines: what every cart answer and checkout page reads first."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.pricing import load_cart_lines
from tests.factories.catalog import (
    MediaFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(us):
    product = ProductFactory(title="Harbor Jacket")
    # Created size first, colour second, but the product lists colour first.
    size = OptionFactory(product=product, name="Size", position=2)
    colour = OptionFactory(product=product, name="Color", position=1)
    jacket = VariantFactory(
        product=product,
        sku="JACKET-NAVY-L",
        option_values=[
            OptionValueFactory(option=size, value="L"),
            OptionValueFactory(option=colour, value="Navy"),
        ],
    )
    plain = VariantFactory(sku="PLAIN-TOTE")
    warehouse = LocationFactory(code="us-east")
    stock(jacket, warehouse, 5)
    stock(plain, warehouse, 5)
    cart = services.create_cart(market=us, channel=channel())
    services.add_cart_line(cart=cart, sku="JACKET-NAVY-L", quantity=1)
    services.add_cart_line(cart=cart, sku="PLAIN-TOTE", quantity=2)
    return cart


def test_each_line_carries_its_options_in_the_products_order(cart):
    jacket, tote = load_cart_lines(cart)

    assert jacket.options == [("Color", "Navy"), ("Size", "L")]
    assert jacket.variant_title == "Navy / L"
    assert tote.options == []


def test_the_lines_with_their_options_are_one_query(cart):
    with CaptureQueriesContext(connection) as ran:
        lines = load_cart_lines(cart)

    assert len(lines) == 2
    assert len(ran.captured_queries) == 1  # the options were a second query


def test_each_line_carries_its_picture_the_variants_own_first(cart):
    jacket_variant = cart.lines.get(variant__sku="JACKET-NAVY-L").variant
    product = jacket_variant.product
    MediaFactory(product=product, position=1, external_url="https://img.example/front.jpg")
    MediaFactory(product=product, position=0, external_url="https://img.example/first.jpg")
    MediaFactory(
        product=product,
        variant=jacket_variant,
        position=5,
        external_url="https://img.example/navy.jpg",
        alt_text="The navy jacket",
    )

    jacket, tote = load_cart_lines(cart)

    assert jacket.picture == {
        "image": "",
        "external_url": "https://img.example/navy.jpg",
        "alt": "The navy jacket",
    }
    assert tote.picture is None  # no image at all


def test_without_its_own_image_a_line_shows_the_products_first(cart):
    product = cart.lines.get(variant__sku="JACKET-NAVY-L").variant.product
    MediaFactory(product=product, position=1, external_url="https://img.example/front.jpg")
    MediaFactory(product=product, position=0, external_url="https://img.example/first.jpg")

    jacket, _tote = load_cart_lines(cart)

    assert jacket.picture["external_url"] == "https://img.example/first.jpg"
