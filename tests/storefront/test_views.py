"""Storefront pages: listing, search and the product page (wiring, not selectors)."""

import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from catalog import ports
from catalog.models import Attribute, ProductStatus, VariantPrice, option_key_for
from storefront import page_cache
from tests.catalog import fake_stock
from tests.factories.catalog import (
    AttributeFactory,
    BrandFactory,
    CategoryFactory,
    MediaFactory,
    OptionFactory,
    OptionValueFactory,
    ProductAttributeValueFactory,
    ProductFactory,
    ProductTranslationFactory,
    VariantFactory,
    VariantIdentifierFactory,
)

pytestmark = pytest.mark.django_db

FAKE_STOCK = fake_stock.available
NO_STOCK_BACKEND = ports.override(availability=None)


def _forget_caches():
    """Empty the storefront's caches: data made by factories bumps no version."""
    cache.clear()
    page_cache.forget_local()


@pytest.fixture(autouse=True)
def _stock():
    fake_stock.QUANTITIES.clear()
    yield fake_stock.QUANTITIES
    fake_stock.QUANTITIES.clear()


@pytest.fixture
def apparel():
    root = CategoryFactory(name="Apparel", slug="apparel")
    return root, CategoryFactory(name="Hoodies", slug="hoodies", parent=root)


def _product(title, *, category=None, prices=None, **kwargs):
    product = ProductFactory(title=title, categories=[category] if category else None, **kwargs)
    VariantFactory(product=product, prices=prices or {"USD": 2500})
    return product


def _add_size(product, prices):
    """A second variant needs an option value of its own (one variant per combination)."""
    option, _ = product.options.get_or_create(name="Size")
    for variant in product.variants.filter(option_key=""):
        value = OptionValueFactory(option=option)
        variant.option_values.set([value])
        variant.option_key = option_key_for([value.pk])
        variant.save(update_fields=["option_key"])
    value = OptionValueFactory(option=option)
    return VariantFactory(product=product, option_values=[value], prices=prices)


def _titles(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<h3 class="product-card-title">(.*?)</h3>', html)


def _option_product():
    """A hoodie in two colours and two sizes; Red/L costs more and is on sale."""
    product = ProductFactory(title="Harbor Hoodie", handle="harbor-hoodie")
    colour = OptionFactory(product=product, name="Colour", position=0)
    size = OptionFactory(product=product, name="Size", position=1)
    red, blue = (OptionValueFactory(option=colour, value=v) for v in ("Red", "Blue"))
    small, large = (OptionValueFactory(option=size, value=v) for v in ("S", "L"))
    variants = {}
    for c in (red, blue):
        for s in (small, large):
            cents = 6500 if (c, s) == (red, large) else 5000
            variants[(c.value, s.value)] = VariantFactory(
                product=product,
                sku=f"HH-{c.value}-{s.value}",
                option_values=[c, s],
                prices={"USD": cents, "CAD": cents + 1500},
            )
    VariantPrice.objects.filter(variant=variants[("Red", "L")], currency="USD").update(
        compare_at_cents=8000
    )
    return product, variants


# --- Category listing ---


def test_listing_paginates_24_per_page_and_keeps_the_sort_in_page_links(client, apparel):
    root, _ = apparel
    for n in range(30):
        _product(f"Hoodie {n:02d}", category=root, prices={"USD": 1000 + n})

    first = client.get("/c/apparel/?sort=price_asc")
    second = client.get("/c/apparel/?sort=price_asc&page=2")

    assert first.status_code == 200
    assert _titles(first) == [f"Hoodie {n:02d}" for n in range(24)]
    assert _titles(second) == [f"Hoodie {n:02d}" for n in range(24, 30)]
    assert 'href="?sort=price_asc&amp;page=2"' in first.content.decode()
    assert "30 products" in first.content.decode()


def test_listing_sorts_by_price_both_ways_and_by_newest(client, apparel):
    root, _ = apparel
    _product("Mid", category=root, prices={"USD": 2000})
    _product("Cheap", category=root, prices={"USD": 1000})
    _product("Dear", category=root, prices={"USD": 3000})

    assert _titles(client.get("/c/apparel/?sort=price_asc")) == ["Cheap", "Mid", "Dear"]
    assert _titles(client.get("/c/apparel/?sort=price_desc")) == ["Dear", "Mid", "Cheap"]
    assert _titles(client.get("/c/apparel/?sort=newest")) == ["Dear", "Cheap", "Mid"]
    assert _titles(client.get("/c/apparel/?sort=bogus")) != []


def test_listing_includes_descendant_categories_and_only_active_products(client, apparel):
    root, hoodies = apparel
    other = CategoryFactory(name="Books", slug="books")
    _product("Parent item", category=root)
    _product("Child item", category=hoodies)
    _product("Book", category=other)
    _product("Draft item", category=hoodies, status=ProductStatus.DRAFT)
    _product("Archived item", category=hoodies, status=ProductStatus.ARCHIVED)

    response = client.get("/c/apparel/")

    assert sorted(_titles(response)) == ["Child item", "Parent item"]
    assert _titles(client.get("/c/apparel/hoodies/")) == ["Child item"]
    assert client.get("/c/nowhere/").status_code == 404


def test_listing_by_bare_slug_redirects_to_the_full_path(client, apparel):
    response = client.get("/c/hoodies/?sort=newest")

    assert response.status_code == 301
    assert response["Location"] == "/c/apparel/hoodies/?sort=newest"


def test_listing_shows_the_market_currency_and_from_prices(client, apparel):
    root, _ = apparel
    product = _product("Hoodie", category=root, prices={"USD": 2500, "CAD": 3400})
    _add_size(product, {"USD": 3000, "CAD": 4000})

    us = client.get("/c/apparel/").content.decode()
    ca = client.get("/c/apparel/?market=CA")
    remembered = client.get("/c/apparel/").content.decode()

    assert "from $25.00" in us
    assert "from CA$34.00" in ca.content.decode()
    assert ca.cookies["market"].value == "CA"
    assert "from CA$34.00" in remembered


def test_listing_filters_on_filterable_attributes(client, apparel):
    root, _ = apparel
    material = AttributeFactory(code="material", name="Material", is_filterable=True)
    secret = AttributeFactory(code="supplier", name="Supplier", is_filterable=False)
    cotton, wool = _product("Cotton tee", category=root), _product("Wool tee", category=root)
    ProductAttributeValueFactory(product=cotton, attribute=material, value_text="Cotton")
    ProductAttributeValueFactory(product=wool, attribute=material, value_text="Wool")
    ProductAttributeValueFactory(product=wool, attribute=secret, value_text="Acme")

    page = client.get("/c/apparel/")
    filtered = client.get("/c/apparel/?f_material=Cotton&sort=newest")

    html = page.content.decode()
    assert '<label for="id_f_material">Material</label>' in html
    assert '<option value="Wool">Wool</option>' in html
    assert "Supplier" not in html
    assert _titles(filtered) == ["Cotton tee"]
    assert sorted(_titles(client.get("/c/apparel/?f_material=Linen"))) == [
        "Cotton tee",
        "Wool tee",
    ]


def test_listing_uses_translated_titles_in_the_eu_market(client, apparel):
    root, _ = apparel
    translated = _product("Hoodie", category=root, prices={"USD": 2500, "EUR": 2300})
    _product("Scarf", category=root, prices={"USD": 1500, "EUR": 1400})
    ProductTranslationFactory(product=translated, locale="de", title="Kapuzenpullover")

    response = client.get("/c/apparel/?market=EU&sort=price_asc")

    assert _titles(response) == ["Scarf", "Kapuzenpullover"]
    assert "€23.00" in response.content.decode()
    assert '<html lang="de">' in response.content.decode()


def test_listing_query_count_does_not_grow_with_the_products(client, apparel, django_assert_max):
    root, _ = apparel
    material = AttributeFactory(code="material", name="Material", is_filterable=True)

    def add_products(n):
        for _ in range(n):
            product = _product("P", category=root, prices={"USD": 1000, "CAD": 1300})
            _add_size(product, {"USD": 1200})
            MediaFactory(product=product)
            ProductTranslationFactory(product=product, locale="de")
            ProductAttributeValueFactory(product=product, attribute=material)

    add_products(5)
    with ports.override(availability=FAKE_STOCK):
        _forget_caches()  # factories write behind the services' backs: cold pages
        with CaptureQueriesContext(connection) as few:
            assert client.get("/c/apparel/").status_code == 200
        add_products(25)
        _forget_caches()
        with django_assert_max(len(few)):
            response = client.get("/c/apparel/")

    assert len(_titles(response)) == 24


@pytest.fixture
def django_assert_max(django_assert_max_num_queries):
    return django_assert_max_num_queries


# --- Search ---


def test_search_finds_by_title_brand_and_sku_but_not_drafts(client):
    brand = BrandFactory(name="Northwind", slug="northwind")
    VariantFactory(product=ProductFactory(title="Harbor Hoodie", brand=brand), sku="NW-HOOD-01")
    _product("Harbor Hoodie Draft", status=ProductStatus.DRAFT)
    _product("Teapot")

    assert _titles(client.get("/search?q=hoodie")) == ["Harbor Hoodie"]
    assert _titles(client.get("/search?q=northwind")) == ["Harbor Hoodie"]
    assert _titles(client.get("/search?q=NW-HOOD-01")) == ["Harbor Hoodie"]
    assert _titles(client.get("/search/?q=teapot")) == ["Teapot"]


def test_search_without_matches_says_so_and_echoes_the_query_escaped(client):
    _product("Teapot")

    response = client.get("/search", {"q": '<b>"nothing"</b>'})

    html = response.content.decode()
    assert response.status_code == 200
    assert "No products match" in html
    assert "&lt;b&gt;&quot;nothing&quot;&lt;/b&gt;" in html
    assert '<b>"nothing"</b>' not in html


def test_search_with_an_empty_query_asks_for_one(client):
    response = client.get("/search?q=")

    assert response.status_code == 200
    assert "Type what you are looking for" in response.content.decode()


def test_search_paginates(client):
    for n in range(26):
        _product(f"Lamp {n:02d}")

    response = client.get("/search?q=lamp&page=2")

    assert len(_titles(response)) == 2
    assert 'href="?q=lamp&amp;page=1"' in response.content.decode()


# --- Product page ---


def _variant_json(response) -> list[dict]:
    match = re.search(
        r'<script id="variant-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


@NO_STOCK_BACKEND
def test_product_page_renders_labelled_option_selectors_and_variant_data(client):
    product, _ = _option_product()
    MediaFactory(product=product, alt_text="Front view")

    response = client.get("/p/harbor-hoodie/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="option-0">Colour</label>' in html
    assert '<label for="option-1">Size</label>' in html
    assert '<option value="Blue">Blue</option>' in html
    assert 'alt="Front view"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'action="/cart/add/"' in html
    data = _variant_json(response)
    assert [v["sku"] for v in data] == ["HH-Red-S", "HH-Red-L", "HH-Blue-S", "HH-Blue-L"]
    assert data[1] == {
        "sku": "HH-Red-L",
        "options": {"Colour": "Red", "Size": "L"},
        "price": "$65.00",
        "compare_at": "$80.00",
        "status": "unknown",
        "availability": "",
        "can_buy": True,
        "image": None,
    }
    assert "Availability" not in html and "In stock" not in html


@NO_STOCK_BACKEND
def test_product_page_shows_the_sale_price_struck_through_for_the_chosen_variant(client):
    _option_product()

    response = client.get("/p/harbor-hoodie/?sku=HH-Red-L")

    html = response.content.decode()
    assert '<span class="price" data-price>$65.00</span>' in html
    assert re.search(r"<s class=\"compare-at\" data-compare-at>.*\$80\.00</s>", html)
    assert '<option value="HH-Red-L" selected>Red / L — $65.00</option>' in html


@NO_STOCK_BACKEND
def test_product_page_prices_in_the_market_currency(client):
    _option_product()

    response = client.get("/p/harbor-hoodie/?market=CA")

    assert '<span class="price" data-price>CA$65.00</span>' in response.content.decode()


@NO_STOCK_BACKEND
def test_product_page_falls_back_to_default_copy_without_a_translation(client):
    product = _product("Wool Scarf", prices={"USD": 1500, "EUR": 1400}, handle="wool-scarf")
    other = _product("Hoodie", prices={"USD": 1500, "EUR": 1400}, handle="hoodie")
    ProductTranslationFactory(
        product=other, locale="de", title="Kapuzenpullover", description="Warm und weich."
    )

    translated = client.get("/p/hoodie/?market=EU").content.decode()
    fallback = client.get(f"/p/{product.handle}/?market=EU").content.decode()

    assert '<h1 class="product-title">Kapuzenpullover</h1>' in translated
    assert "Warm und weich." in translated
    assert '<h1 class="product-title">Wool Scarf</h1>' in fallback
    assert "€14.00" in fallback


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
def test_product_page_is_404_unless_active(client, status):
    _product("Hidden", handle="hidden", status=status)

    response = client.get("/p/hidden/")

    assert response.status_code == 404
    assert "find that page" in response.content.decode()


@NO_STOCK_BACKEND
def test_product_page_never_shows_identifiers(client):
    product = _product("Scanner", handle="scanner")
    VariantIdentifierFactory(variant=product.variants.get(), kind="ean", value="4006381333931")
    VariantIdentifierFactory(variant=product.variants.get(), kind="mpn", value="MPN-SECRET-9")

    html = client.get("/p/scanner/").content.decode()

    assert "4006381333931" not in html
    assert "MPN-SECRET-9" not in html


@NO_STOCK_BACKEND
def test_merchant_html_is_escaped_everywhere(client):
    category = CategoryFactory(name="<i>Cat</i>", slug="cat")
    brand = BrandFactory(name="<b>Brand</b>", slug="evil-brand")
    product = _product(
        "<script>alert(1)</script>",
        category=category,
        brand=brand,
        handle="evil",
        description="<img src=x onerror=alert(2)>",
    )
    MediaFactory(product=product, alt_text='"><script>alert(3)</script>')
    material = AttributeFactory(code="material", name="<u>Material</u>", is_filterable=True)
    ProductAttributeValueFactory(product=product, attribute=material, value_text="<em>x</em>")

    pages = [
        client.get("/p/evil/").content.decode(),
        client.get("/c/cat/").content.decode(),
        client.get("/search?q=script").content.decode(),
        client.get("/").content.decode(),
    ]

    for html in pages:
        assert "<script>alert" not in html
        assert "<b>Brand</b>" not in html
        assert "<i>Cat</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages[0]
    assert "<u>Material</u>" not in pages[0] and "<em>x</em>" not in pages[0]
    assert "<u>Material</u>" not in pages[1]


@ports.override(availability=FAKE_STOCK)
@override_settings(LOW_STOCK_THRESHOLD=5)
@pytest.mark.parametrize(
    ("quantity", "message", "disabled"),
    [(50, "In stock", False), (5, "Only 5 left", False), (0, "Out of stock", True)],
)
def test_product_page_availability_messages(client, _stock, quantity, message, disabled):
    product = _product("Lamp", handle="lamp")
    _stock[product.variants.get().pk] = quantity

    html = client.get("/p/lamp/").content.decode()

    assert f">{message}</p>" in html
    button = re.search(r"<button[^>]*data-add-to-cart[^>]*>", html).group(0)
    assert ("disabled" in button) is disabled


@ports.override(availability=FAKE_STOCK)
def test_product_page_preselects_a_variant_in_stock(client, _stock):
    product, variants = _option_product()
    _stock[variants[("Red", "S")].pk] = 0

    response = client.get(f"/p/{product.handle}/")

    html = response.content.decode()
    assert '<option value="HH-Red-L" selected>' in html
    assert _variant_json(response)[0]["availability"] == "Out of stock"


@NO_STOCK_BACKEND
def test_product_page_lists_specifications_in_the_market_locale(client):
    product = _product("Lamp", handle="lamp", prices={"USD": 100, "EUR": 100})
    material = AttributeFactory(
        code="material", name="Material", name_translations={"de": "Material (de)"}
    )
    width = AttributeFactory(code="width", name="Width", kind=Attribute.Kind.NUMBER, unit="mm")
    ProductAttributeValueFactory(
        product=product,
        attribute=material,
        value_text="Brass",
        value_translations={"de": "Messing"},
    )
    ProductAttributeValueFactory(product=product, attribute=width, value_text="", value_number=120)

    us = client.get("/p/lamp/").content.decode()
    eu = client.get("/p/lamp/?market=EU").content.decode()

    assert '<th scope="row">Material</th><td>Brass</td>' in us
    assert '<th scope="row">Width</th><td>120 mm</td>' in us
    assert '<th scope="row">Material (de)</th><td>Messing</td>' in eu


@NO_STOCK_BACKEND
def test_product_page_says_when_the_product_is_not_sold_in_the_market(client):
    _product("US only", handle="us-only", prices={"USD": 1000})

    response = client.get("/p/us-only/?market=EU")

    assert response.status_code == 200
    assert "This product is not sold in Europe." in response.content.decode()
    assert "data-add-to-cart" not in response.content.decode()


def test_product_page_query_count_does_not_grow_with_the_variants(client, django_assert_max):
    material = AttributeFactory(code="material", name="Material")

    def make(handle, n_values):
        product = ProductFactory(handle=handle, categories=[CategoryFactory()])
        ProductAttributeValueFactory(product=product, attribute=material)
        ProductTranslationFactory(product=product, locale="de")
        colour = OptionFactory(product=product, name="Colour")
        for n in range(n_values):
            value = OptionValueFactory(option=colour, value=f"C{n}")
            variant = VariantFactory(product=product, option_values=[value])
            VariantIdentifierFactory(variant=variant, value=f"{handle}-{n}", kind="mpn")
            MediaFactory(product=product, variant=variant)
            MediaFactory(product=product)

    make("small", 2)
    make("large", 15)
    with ports.override(availability=FAKE_STOCK):
        _forget_caches()  # both cold
        with CaptureQueriesContext(connection) as few:
            assert client.get("/p/small/").status_code == 200
        _forget_caches()
        with django_assert_max(len(few)):
            response = client.get("/p/large/")

    assert len(_variant_json(response)) == 15


# --- Home and the shell ---


@NO_STOCK_BACKEND
def test_home_lists_products_and_top_categories(client, apparel):
    root, _ = apparel
    _product("Harbor Hoodie", category=root)
    _product("Draft thing", status=ProductStatus.DRAFT)

    html = client.get("/").content.decode()

    assert "Harbor Hoodie" in html
    assert "Draft thing" not in html
    assert '<a class="category-tile" href="/c/apparel/">' in html
    assert 'href="/cart/"' in html
    assert 'action="/search"' in html
    assert '<option value="CA"' in html


def test_home_query_count_does_not_grow_with_the_products(client, django_assert_max):
    for _ in range(10):  # enough for both rows: 8 featured, the rest new
        MediaFactory(product=_product("P"))
    _forget_caches()  # factories write behind the services' backs: cold pages
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for _ in range(20):
        MediaFactory(product=_product("P"))
    _forget_caches()

    with django_assert_max(len(few)):
        client.get("/")


def test_market_selector_keeps_the_other_query_parameters(client, apparel):
    html = client.get("/c/apparel/?sort=newest&page=1").content.decode()

    form = re.search(r'<form class="market-form".*?</form>', html, re.S).group(0)
    assert 'action="/c/apparel/"' in form
    assert '<input type="hidden" name="sort" value="newest">' in form
    assert 'name="page"' not in form


def test_unknown_page_uses_the_storefront_404(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert '<main id="main"' in response.content.decode()


@NO_STOCK_BACKEND
def test_product_page_shows_the_chosen_variants_image_or_its_colourways(client):
    product, variants = _option_product()
    MediaFactory(product=product, external_url="https://img.test/main.jpg", alt_text="Main")
    MediaFactory(
        product=product,
        variant=variants[("Red", "S")],
        external_url="https://img.test/red.jpg",
        alt_text="Red hoodie",
    )

    response = client.get("/p/harbor-hoodie/?sku=HH-Red-L")

    images = {v["sku"]: v["image"] for v in _variant_json(response)}
    assert images["HH-Red-L"] == {"url": "https://img.test/red.jpg", "alt": "Red hoodie"}
    assert images["HH-Blue-S"] is None
    assert '<img data-main-image src="https://img.test/red.jpg" alt="Red hoodie"' in (
        response.content.decode()
    )


def test_server_error_page_renders_without_a_request_or_database():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert "/static/shop/site.css" in html
