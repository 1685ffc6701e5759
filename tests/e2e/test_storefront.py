"""A customer in a real browser: search, open a product, pick a variant, switch market."""

import re

import pytest
from playwright.sync_api import expect

from catalog import ports
from catalog.models import VariantPrice
from tests.catalog import fake_stock
from tests.factories.catalog import (
    BrandFactory,
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductAttributeValueFactory,
    ProductFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_stock():
    fake_stock.QUANTITIES.clear()
    with ports.override(availability=fake_stock.available):
        yield fake_stock.QUANTITIES
    fake_stock.QUANTITIES.clear()


@pytest.fixture
def hoodie(_in_stock):
    """Harbor Hoodie in Red/Blue x S/L: Red/L costs more (on sale), Red/L is nearly gone and
    Blue/L is sold out."""
    apparel = CategoryFactory(name="Apparel", slug="apparel")
    hoodies = CategoryFactory(name="Hoodies", slug="hoodies", parent=apparel)
    product = ProductFactory(
        title="Harbor Hoodie",
        handle="harbor-hoodie",
        brand=BrandFactory(name="Northwind Outfitters", slug="northwind"),
        description="Heavyweight brushed fleece with a roomy hood.\n\nMade to last.",
        categories=[hoodies],
    )
    ProductAttributeValueFactory(product=product, attribute__name="Material")
    colour = OptionFactory(product=product, name="Colour", position=0)
    size = OptionFactory(product=product, name="Size", position=1)
    colours = [OptionValueFactory(option=colour, value=v) for v in ("Red", "Blue")]
    sizes = [OptionValueFactory(option=size, value=v) for v in ("S", "L")]
    variants = {}
    for c in colours:
        for s in sizes:
            cents = 6500 if (c.value, s.value) == ("Red", "L") else 5000
            variants[c.value, s.value] = VariantFactory(
                product=product,
                sku=f"HH-{c.value}-{s.value}",
                option_values=[c, s],
                prices={"USD": cents, "CAD": cents + 1500},
            )
    VariantPrice.objects.filter(variant=variants["Red", "L"], currency="USD").update(
        compare_at_cents=8000
    )
    _in_stock[variants["Red", "L"].pk] = 2
    _in_stock[variants["Blue", "L"].pk] = 0
    for n in range(7):
        other = ProductFactory(title=f"Trail Tee {n}", categories=[hoodies])
        VariantFactory(product=other, prices={"USD": 1800 + n * 100, "CAD": 2400})
    return product


def test_customer_searches_opens_a_product_and_switches_variants(page, live_server, hoodie):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/")

    page.get_by_role("searchbox", name="Search products").fill("hoodie")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=hoodie$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("hoodie")
    page.get_by_role("link", name=re.compile("Harbor Hoodie")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Hoodie")
    price = page.locator("[data-price]")
    availability = page.locator("[data-availability]")
    add = page.get_by_role("button", name="Add to cart")
    expect(price).to_have_text("$50.00")
    expect(availability).to_have_text("In stock")
    expect(page.get_by_label("Choose an option")).to_be_hidden()

    page.get_by_label("Size").select_option("L")
    expect(price).to_have_text("$65.00")
    expect(page.locator("[data-compare-at]")).to_have_text("Was $80.00")
    expect(availability).to_have_text("Only 2 left")
    expect(add).to_be_enabled()
    expect(page.locator("select[name=sku]")).to_have_value("HH-Red-L")
    expect(page).to_have_url(re.compile(r"\?sku=HH-Red-L$"))

    page.get_by_label("Colour").select_option("Blue")
    expect(price).to_have_text("$50.00")
    expect(page.locator("[data-compare-at]")).to_be_hidden()
    expect(availability).to_have_text("Out of stock")
    expect(add).to_be_disabled()
    expect(page.locator("select[name=sku]")).to_have_value("HH-Blue-L")

    page.get_by_label("Size").select_option("S")
    expect(add).to_be_enabled()
    page.screenshot(path="/tmp/pdp.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/pdp-mobile.png", full_page=True)


def test_market_selector_switches_the_currency(page, live_server, hoodie):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/p/harbor-hoodie/")
    expect(page.locator("[data-price]")).to_have_text("$50.00")

    page.get_by_label("Size").select_option("L")
    expect(page.locator("[data-price]")).to_have_text("$65.00")

    page.get_by_label("Market and currency").select_option("CA")

    expect(page).to_have_url(re.compile(r"market=CA"))
    expect(page.locator("[data-price]")).to_have_text("CA$80.00")
    expect(page.get_by_label("Size")).to_have_value("L")
    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Apparel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apparel")
    expect(page.locator(".product-card-price").first).to_contain_text("CA$")
    page.get_by_label("Sort by").select_option("price_asc")
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    expect(page.locator(".product-card-title").first).to_have_text("Trail Tee 0")
    page.screenshot(path="/tmp/plp.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/plp-mobile.png", full_page=True)
