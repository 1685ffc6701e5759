"""The storefront's read path from versioned caches (issue 9): query budgets warm and cold,
every write showing on the next request of every page that shows it and bumping nothing else,
a dead Redis served from the database, bad listing input, HTTP caching of anonymous pages."""

import logging
import re
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Product
from catalog.services import content, taxonomy
from inventory import services as inventory_services
from inventory.models import Location
from shop import cache_versions
from shop import selectors as shop_selectors
from shop.models import Market
from storefront import html_cache, page_cache
from tests.factories.catalog import (
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = pytest.mark.django_db

WARM_BUDGET = {"/p/harbor-tee/": 3, "/c/apparel/": 4, "/c/apparel/tees/": 4, "/": 3}
# Cold: every document built from the catalog (markets, categories, product, cards, stock).
# Every page kept whole per worker (storefront.html_cache).
KEPT_PAGES = ["/p/harbor-tee/", "/c/apparel/tees/", "/", "/search?q=tee"]
COLD_BUDGET = {"/p/harbor-tee/": 14, "/c/apparel/": 12, "/": 10}


@pytest.fixture
def shop_floor():
    """Apparel > Tees with Harbor Tee (two sizes, stocked) and Books with a novel."""
    market("US")
    apparel = CategoryFactory(name="Apparel", slug="apparel")
    tees = CategoryFactory(name="Tees", slug="tees", parent=apparel)
    books = CategoryFactory(name="Books", slug="books")
    tee = ProductFactory(title="Harbor Tee", handle="harbor-tee", categories=[tees])
    size = OptionFactory(product=tee, name="Size")
    variants = [
        VariantFactory(
            product=tee,
            sku=f"TEE-{value}",
            option_values=[OptionValueFactory(option=size, value=value)],
            prices={"USD": 2500},
        )
        for value in ("S", "M")
    ]
    novel = ProductFactory(title="Quiet Novel", handle="quiet-novel", categories=[books])
    novel_variant = VariantFactory(product=novel, sku="NOVEL-1", prices={"USD": 1200})
    warehouse = LocationFactory(code="us-east", country="US", markets=["US"])
    for variant in [*variants, novel_variant]:
        stock(variant, warehouse, 10)
    cache.clear()  # factories bump nothing: start cold
    return {"tee": tee, "variants": variants, "novel": novel, "tees": tees, "apparel": apparel}


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


def _calls(monkeypatch, module, name: str) -> list:
    """Each call of `module.name` from now on, still made: its arguments appended."""
    calls: list = []
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **kw: calls.append((a, kw)) or real(*a, **kw))
    return calls


def _sell_out_the_tee(shop_floor) -> None:
    """Every Harbor Tee variant's stock counted to zero through the inventory service."""
    warehouse = Location.objects.get(code="us-east")
    for variant in shop_floor["variants"]:
        inventory_services.set_stock_count(
            variant=variant, location=warehouse, on_hand=0, source="test"
        )


def _bumped(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = cache_versions.bump_versions

    def spy(scopes):
        scopes = list(scopes)
        seen.extend(scopes)
        real(scopes)

    monkeypatch.setattr(cache_versions, "bump_versions", spy)
    return seen


# --- Query budgets ---


def test_warm_pages_stay_within_their_query_budgets(client, shop_floor):
    for path in WARM_BUDGET:
        client.get(path)

    counts = {path: _queries(client, path) for path in WARM_BUDGET}

    assert all(counts[path] <= budget for path, budget in WARM_BUDGET.items()), counts
    # Availability is kept under the variants' stock versions: nothing moved, nothing read.
    assert counts["/p/harbor-tee/"] == 0


def test_after_a_stock_write_a_warm_page_reads_only_the_availability_again(client, shop_floor):
    for path in WARM_BUDGET:
        client.get(path)
    inventory_services.receive_stock(
        variant=shop_floor["variants"][0],
        location=Location.objects.get(code="us-east"),
        quantity=1,
    )

    assert _queries(client, "/p/harbor-tee/") == 1
    assert _queries(client, "/p/harbor-tee/") == 0


@override_settings(MARKETS_LOCAL_SECONDS=60)  # as in production: kept in each process
@pytest.mark.parametrize(
    "path", ["/p/harbor-tee/", "/c/apparel/", "/c/apparel/?sort=price_asc", "/", "/search?q=tee"]
)
def test_a_warm_page_is_one_redis_round_trip(client, shop_floor, path, redis_round_trips):
    client.get(path)
    client.get(path)
    redis_round_trips.clear()

    page = client.get(path)
    commands = len(redis_round_trips)
    shop_selectors.clear_market_cache()  # the next test starts without this process's copy

    assert page.status_code == 200
    # One MGET: the page's versions with the stock versions of the variants it shows (a
    # product page's handle entry names them; a listing's last visit did), whose
    # availability then comes from this process's copies.
    assert commands == 1


def test_a_listing_showing_other_variants_than_last_time_reads_their_stock(
    client, shop_floor, django_capture_on_commit_callbacks
):
    hat = ProductFactory(
        title="Harbor Hat", handle="harbor-hat", categories=[shop_floor["tees"]], status="draft"
    )
    stock(
        VariantFactory(product=hat, sku="HAT-1", prices={"USD": 1500}),
        Location.objects.get(code="us-east"),
        0,
    )
    first = client.get("/c/apparel/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.publish_products(products=[hat])

    page = client.get("/c/apparel/").content.decode()

    # The page's hint named the tees' variants only: the hat's stock is read, not guessed.
    assert "Harbor Hat" not in first and "Out of stock" not in first
    assert "Harbor Hat" in page
    assert page.count("Out of stock") == 1


def test_stock_hints_are_per_market_and_path_and_bounded(rf, monkeypatch):
    monkeypatch.setattr(cache_versions, "MAX_STOCK_HINTS", 2)
    us, de = rf.get("/c/tees/?page=2"), rf.get("/c/tees/?page=2")
    us.market, de.market = Market(code="US"), Market(code="DE")

    page_cache.note_stock_read(us, [3, 1, 3])
    page_cache.note_stock_read(de, [7])

    assert cache_versions._stock_hints == {
        ("page", "US", "/c/tees/?page=2"): (3, 1),
        ("page", "DE", "/c/tees/?page=2"): (7,),
    }
    page_cache.note_stock_read(rf.get("/c/other/"), [9])  # full: emptied first, never grown
    assert list(cache_versions._stock_hints.values()) == [(9,)]
    page_cache.note_stock_read(rf.get("/c/other/?q=" + "x" * 400), [5])  # too long: not kept
    assert list(cache_versions._stock_hints.values()) == [(9,)]


def test_cold_pages_stay_within_their_query_budgets(client, shop_floor):
    counts = {}
    for path in COLD_BUDGET:
        cache.clear()
        page_cache.forget_local()
        counts[path] = _queries(client, path)

    assert all(counts[path] <= budget for path, budget in COLD_BUDGET.items()), counts


def test_warm_budgets_do_not_grow_with_the_catalog_or_the_variants(client, shop_floor):
    tees = shop_floor["tees"]
    with CaptureQueriesContext(connection):
        for n in range(30):
            product = ProductFactory(title=f"Tee {n}", categories=[tees])
            option = OptionFactory(product=product, name="Size")
            for size in ("S", "M", "L", "XL"):
                VariantFactory(
                    product=product,
                    option_values=[OptionValueFactory(option=option, value=size)],
                    prices={"USD": 1000 + n},
                )
    big = Product.objects.get(title="Tee 3")
    cache.clear()
    paths = ["/", "/c/apparel/", f"/p/{big.handle}/", "/c/apparel/?page=2"]
    for path in paths:
        client.get(path)

    counts = {path: _queries(client, path) for path in paths}

    assert counts == dict.fromkeys(paths, 0)  # availability kept: no stock moved


# --- Invalidation: the next request shows the write, nothing unrelated is touched ---


def _tee_pages(client) -> dict[str, str]:
    return {
        path: client.get(path).content.decode()
        for path in ("/p/harbor-tee/", "/c/apparel/tees/", "/c/apparel/", "/")
    }


def _assert_novel_still_warm(client):
    for path in ("/p/quiet-novel/", "/c/books/"):
        assert _queries(client, path) == 0, path  # its availability too: no stock moved


def test_a_price_change_shows_on_every_page_at_once_and_bumps_only_its_own_scopes(
    client, shop_floor, monkeypatch, django_capture_on_commit_callbacks
):
    tee, tees, apparel = shop_floor["tee"], shop_floor["tees"], shop_floor["apparel"]
    for path in ("/p/quiet-novel/", "/c/books/"):
        client.get(path)
    assert all("$25.00" in html for html in _tee_pages(client).values())
    bumped = _bumped(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        for variant in shop_floor["variants"]:
            catalog_services.set_variant_prices(
                variant=variant, prices={"USD": (1999, None)}, actor=None
            )

    pages = _tee_pages(client)
    assert all("$19.99" in html and "$25.00" not in html for html in pages.values()), pages
    assert set(bumped) == {
        f"product:{tee.pk}",
        f"category:{tees.pk}",
        f"category:{apparel.pk}",
        "home",
        "prices",  # cached promotion results (promotions.selectors); no page keys on it
    }
    _assert_novel_still_warm(client)


def test_archiving_and_publishing_show_on_the_next_request(
    client, shop_floor, django_capture_on_commit_callbacks
):
    tee = shop_floor["tee"]
    _tee_pages(client)

    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.archive_products(products=[tee])

    assert client.get("/p/harbor-tee/").status_code == 404
    for path in ("/c/apparel/tees/", "/c/apparel/", "/"):
        assert "Harbor Tee" not in client.get(path).content.decode(), path

    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.publish_products(products=[tee])

    assert all("Harbor Tee" in html for html in _tee_pages(client).values())


def test_a_category_rename_shows_in_the_nav_breadcrumbs_and_listing_and_bumps_only_nav(
    client, shop_floor, monkeypatch, django_capture_on_commit_callbacks
):
    tees, apparel = shop_floor["tees"], shop_floor["apparel"]
    _tee_pages(client)
    bumped = _bumped(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        taxonomy.update_category(
            category=apparel,
            name="Clothing",
            slug="apparel",
            parent=None,
            position=0,
            description="",
        )

    pages = _tee_pages(client)
    assert all(">Clothing</a>" in html for html in pages.values()), pages
    assert "<h1>Clothing</h1>" in pages["/c/apparel/"]
    assert set(bumped) == {"nav"}
    assert tees.pk  # the subcategory's listing kept its version


def test_a_translation_edit_shows_on_the_next_request_in_that_market(
    client, shop_floor, monkeypatch, django_capture_on_commit_callbacks
):
    tee = shop_floor["tee"]
    for variant in shop_floor["variants"]:
        variant.prices.create(currency="EUR", amount_cents=2300)
    Location.objects.get(code="us-east").markets.add(market("EU"))
    cache.clear()
    client.get("/p/harbor-tee/?market=EU")
    client.get("/c/apparel/")
    bumped = _bumped(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        content.set_product_translations(
            items=[content.TranslationInput(product=tee, locale="de", title="Hafen-Shirt")]
        )

    assert "Hafen-Shirt" in client.get("/p/harbor-tee/").content.decode()
    assert "Hafen-Shirt" in client.get("/c/apparel/").content.decode()
    assert set(bumped) == {
        f"product:{tee.pk}",
        f"category:{shop_floor['tees'].pk}",
        f"category:{shop_floor['apparel'].pk}",
        "home",
    }


def test_a_stock_change_shows_on_the_next_product_page_and_listing(
    client, shop_floor, monkeypatch, django_capture_on_commit_callbacks
):
    _tee_pages(client)
    warehouse = Location.objects.get(code="us-east")
    bumped = _bumped(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        for variant in shop_floor["variants"]:
            inventory_services.set_stock_count(
                variant=variant, location=warehouse, on_hand=0, source="test"
            )

    product_html = client.get("/p/harbor-tee/").content.decode()
    assert "Out of stock" in product_html
    assert "Add to cart</button>" in product_html and "disabled" in product_html
    listing = client.get("/c/apparel/tees/").content.decode()
    assert "Out of stock" in listing
    assert bumped == []  # availability is read fresh: no cached document to invalidate


# --- Redis down ---


def test_every_page_is_served_from_the_database_when_redis_dies(client, shop_floor, caplog):
    for path in WARM_BUDGET:
        client.get(path)
    page_cache.forget_local()
    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    with override_settings(CACHES=dead), caplog.at_level(logging.WARNING):
        responses = {path: client.get(path) for path in [*WARM_BUDGET, "/c/books/?page=1"]}

    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(responses, 200)
    assert "Harbor Tee" in responses["/p/harbor-tee/"].content.decode()
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)


# --- Bad input on listings ---


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "٣"])
def test_a_page_that_is_not_a_positive_number_is_a_400(client, shop_floor, page):
    response = client.get("/c/apparel/", {"page": page})

    assert response.status_code == 400
    assert "whole number from 1 up" in response.content.decode()


@pytest.mark.parametrize("page", ["2", "1000000000", "9" * 40])
def test_a_page_past_the_end_is_an_empty_404_saying_how_many_there_are(client, shop_floor, page):
    response = client.get("/c/apparel/", {"page": page})

    html = response.content.decode()
    assert response.status_code == 404
    assert "this listing has 1 page." in html
    assert "product-card" not in html


def test_unknown_sorts_and_filters_never_make_new_cache_entries(client, shop_floor, monkeypatch):
    client.get("/c/apparel/")
    stored: list[str] = []
    real = page_cache.store
    monkeypatch.setattr(
        page_cache, "store", lambda entries, **kw: (stored.extend(entries), real(entries, **kw))
    )

    unknown_sort = client.get("/c/apparel/", {"sort": "'; DROP TABLE"})
    unknown_filter = client.get("/c/apparel/", {"f_bogus": "x", "utm_source": "mail"})

    assert unknown_sort.status_code == unknown_filter.status_code == 200
    assert "is not a sort order we know" in unknown_sort.content.decode()
    assert "Harbor Tee" in unknown_filter.content.decode()
    assert stored == []


# --- HTTP caching and sessions ---


def test_anonymous_home_and_listing_are_public_with_an_etag_and_revalidate(client, shop_floor):
    for path in ("/", "/c/apparel/"):
        response = client.get(path)

        assert "public" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]
        again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        assert again.content == b""


def test_anonymous_browsing_never_touches_the_session(client, shop_floor):
    from django.contrib.sessions.models import Session

    for path in ("/", "/c/apparel/", "/p/harbor-tee/", "/c/apparel/?page=99"):
        response = client.get(path)
        assert "sessionid" not in response.cookies, path

    assert Session.objects.count() == 0


def test_a_visitor_with_a_session_gets_private_pages(client, shop_floor, customer):
    client.force_login(customer)

    response = client.get("/")

    assert "private" in response["Cache-Control"]
    assert "ETag" not in response


def test_the_product_page_is_never_shared(client, shop_floor):
    response = client.get("/p/harbor-tee/")

    assert response["Cache-Control"] == "private"
    assert re.search(r'name="csrfmiddlewaretoken"', response.content.decode())


def test_production_serves_static_files_under_hashed_names():
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "EMPORIUM_ENV": "production",
        "SECRET_KEY": "k" * 60,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
    }
    code = "import shop.settings as s; print(s.STORAGES['staticfiles']['BACKEND'], s.DEBUG)"

    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout

    assert out.split() == ["whitenoise.storage.CompressedManifestStaticFilesStorage", "False"]


def test_templates_are_cached_by_the_loader():
    from django.template import engines
    from django.template.loaders.cached import Loader

    assert isinstance(engines["django"].engine.template_loaders[0], Loader)


# --- Rendered pages kept per process (storefront/html_cache.py) ---


def test_a_kept_product_page_still_carries_a_working_csrf_token(shop_floor):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.get("/p/harbor-tee/")
    kept = len(html_cache._pages)

    html = browser.get("/p/harbor-tee/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = browser.post(
        "/cart/add/", {"sku": "TEE-S", "quantity": "1", "csrfmiddlewaretoken": token}
    )

    assert len(html_cache._pages) == kept == 1
    assert html_cache.CSRF_PLACEHOLDER not in html
    assert response.status_code == 302


def test_a_kept_product_page_carries_each_visitors_own_token(shop_floor):
    """The page is kept with a placeholder in place of the token (shop.template_engine keeps
    the one the cache gives): not the token of the visitor who drew it, which another visitor
    has no cookie for."""
    from django.test import Client

    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get("/p/harbor-tee/")

    html = second.get("/p/harbor-tee/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = second.post(
        "/cart/add/", {"sku": "TEE-S", "quantity": "1", "csrfmiddlewaretoken": token}
    )

    assert len(html_cache._pages) == 1
    assert response.status_code == 302


def test_pages_with_parameters_they_did_not_understand_are_rendered_not_kept(client, shop_floor):
    for path in ("/", "/c/apparel/", "/p/harbor-tee/"):
        client.get(path)
    kept = len(html_cache._pages)

    for n in range(5):
        client.get("/", {"utm_source": n})
        client.get("/c/apparel/", {"f_bogus": n, "sort": f"x{n}"})
        client.get("/p/harbor-tee/", {"sku": f"NOPE-{n}"})

    assert kept == 3
    assert len(html_cache._pages) == kept


def test_a_kept_listing_follows_the_stock(client, shop_floor):
    client.get("/c/apparel/tees/")
    _sell_out_the_tee(shop_floor)

    html = client.get("/c/apparel/tees/").content.decode()

    assert "Out of stock" in html


@pytest.mark.parametrize("path", KEPT_PAGES)
def test_a_kept_page_reads_no_availability_until_the_stock_moves(
    client, shop_floor, monkeypatch, path
):
    reads = _calls(monkeypatch, catalog_selectors, "get_available_quantities")
    first = client.get(path).content.decode()
    assert len(reads) == 1  # rendered: the availability read once for the whole page

    again = client.get(path).content.decode()
    assert len(reads) == 1  # same stock versions: the kept page, no availability read
    token = re.compile(r'name="csrfmiddlewaretoken" value="\w+"')  # a new mask every page
    assert token.sub("", again) == token.sub("", first)

    _sell_out_the_tee(shop_floor)
    moved = client.get(path).content.decode()
    assert len(reads) == 2 and "Out of stock" in moved


@pytest.mark.parametrize("path", KEPT_PAGES)
def test_past_its_trust_a_kept_page_is_checked_not_rendered_and_a_lost_bump_heals(
    client, shop_floor, monkeypatch, path
):
    from inventory import availability_cache

    renders = _calls(monkeypatch, html_cache, "render_to_string")
    with override_settings(AVAILABILITY_CACHE_SECONDS=0):  # versions vouch for no time at all
        client.get(path)
        assert "Out of stock" not in client.get(path).content.decode()
        assert len(renders) == 1  # checked against the availability read again: the same

        # A stock write whose version bump is lost (Redis failed at that moment): the versions
        # still vouch for the kept page, but not for longer than AVAILABILITY_CACHE_SECONDS.
        monkeypatch.setattr(availability_cache, "bump_stock_versions", lambda scopes: None)
        _sell_out_the_tee(shop_floor)
        healed = client.get(path).content.decode()

    assert "Out of stock" in healed and len(renders) == 2
    assert all(page.trusted_until <= page.ends_at for page in html_cache._pages.values())
    assert all(page.trusted_until <= page.ends_at for page in html_cache._shown_pages.values())


@pytest.mark.parametrize("path", KEPT_PAGES)
def test_a_sale_that_changes_nothing_shown_serves_the_kept_page_without_rendering(
    client, shop_floor, monkeypatch, path
):
    """Every sale bumps its variant's stock version; the page is rendered again only if what
    it shows changed."""
    warehouse = Location.objects.get(code="us-east")
    first_size = shop_floor["variants"][0]
    renders = _calls(monkeypatch, html_cache, "render_to_string")
    reads = _calls(monkeypatch, catalog_selectors, "get_available_quantities")
    first = client.get(path).content.decode()

    inventory_services.set_stock_count(  # 10 -> 9: still "In stock", versions moved
        variant=first_size, location=warehouse, on_hand=9, source="test"
    )
    after_sale = client.get(path).content.decode()

    assert len(renders) == 1  # the kept page, found by what it shows
    assert len(reads) == 2  # the availability read again under the new versions
    token = re.compile(r'name="csrfmiddlewaretoken" value="\w+"')
    assert token.sub("", after_sale) == token.sub("", first)
    client.get(path)
    assert (len(renders), len(reads)) == (1, 2)  # kept under the new versions too

    inventory_services.set_stock_count(  # 9 -> 0 for both sizes: shown differently
        variant=first_size, location=warehouse, on_hand=0, source="test"
    )
    _sell_out_the_tee(shop_floor)
    sold_out = client.get(path).content.decode()
    assert len(renders) == 2 and "Out of stock" in sold_out

    inventory_services.set_stock_count(  # back to what the first page showed
        variant=first_size, location=warehouse, on_hand=10, source="test"
    )
    inventory_services.set_stock_count(
        variant=shop_floor["variants"][1], location=warehouse, on_hand=10, source="test"
    )
    restocked = client.get(path).content.decode()
    assert len(renders) == 2  # the first page again: it shows exactly this
    assert token.sub("", restocked) == token.sub("", first)


# --- Markets: one read per request, a process copy in production ---


def test_markets_are_read_once_per_request_and_kept_per_process(client, shop_floor, monkeypatch):
    reads = []
    real = shop_selectors._shared_markets
    monkeypatch.setattr(shop_selectors, "_shared_markets", lambda: reads.append(1) or real())

    client.get("/p/harbor-tee/")
    assert len(reads) == 1
    with override_settings(MARKETS_LOCAL_SECONDS=60):
        shop_selectors.clear_market_cache()
        client.get("/p/harbor-tee/")
        client.get("/c/apparel/")
        assert len(reads) == 2
        shop_selectors.clear_market_cache()  # an edit in this process: read again at once
        client.get("/")
        assert len(reads) == 3
    shop_selectors.clear_market_cache()


def test_an_attribute_rename_shows_in_specs_and_facets_and_bumps_only_its_products(
    client, shop_floor, monkeypatch, django_capture_on_commit_callbacks
):
    from tests.factories.catalog import AttributeFactory, ProductAttributeValueFactory

    tee, tees, apparel = shop_floor["tee"], shop_floor["tees"], shop_floor["apparel"]
    material = AttributeFactory(code="material", name="Material", is_filterable=True)
    ProductAttributeValueFactory(product=tee, attribute=material, value_text="Cotton")
    cache.clear()
    assert "Material" in client.get("/p/harbor-tee/").content.decode()
    assert "Material" in client.get("/c/apparel/tees/").content.decode()
    for path in ("/p/quiet-novel/", "/c/books/"):
        client.get(path)
    bumped = _bumped(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        taxonomy.update_attribute(
            attribute=material,
            code="material",
            name="Fabric",
            kind=material.kind,
            unit="",
            is_filterable=True,
            position=0,
        )

    assert "Fabric" in client.get("/p/harbor-tee/").content.decode()
    assert "Fabric" in client.get("/c/apparel/tees/").content.decode()
    assert set(bumped) == {
        f"product:{tee.pk}",
        f"category:{tees.pk}",
        f"category:{apparel.pk}",
        "home",
    }
    _assert_novel_still_warm(client)


def test_the_admin_category_page_saves_through_the_service_and_the_nav_follows(
    client, shop_floor, merchandiser, django_capture_on_commit_callbacks
):
    from django.test import Client

    apparel = shop_floor["apparel"]
    client.get("/c/apparel/")
    staff = Client()
    staff.force_login(merchandiser)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/catalog/category/{apparel.pk}/change/",
            {
                "name": "Clothing",
                "slug": "apparel",
                "parent": "",
                "description": "",
                "position": 0,
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert "<h1>Clothing</h1>" in client.get("/c/apparel/").content.decode()


def test_after_a_cache_failure_the_storefront_skips_redis_for_a_while(client, shop_floor, caplog):
    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    with override_settings(CACHES=dead, CACHE_CIRCUIT_OPEN_SECONDS=60):
        with caplog.at_level(logging.WARNING, logger="shop.cache_versions"):
            statuses = [client.get(path).status_code for path in ("/p/harbor-tee/", "/", "/")]
        skipping = not cache_versions.cache_available()

    assert statuses == [200, 200, 200]
    assert skipping
    assert [r.name for r in caplog.records if r.name == "shop.cache_versions"] == [
        "shop.cache_versions"
    ]


def test_another_sort_of_a_listing_reuses_the_cards_it_showed(client, shop_floor):
    """Cards are kept per product under the listing's versions: the same products in another
    order cost their ids and the stock, not their copy and pictures again."""
    first = client.get("/c/apparel/tees/").content.decode()

    with CaptureQueriesContext(connection) as queries:
        again = client.get("/c/apparel/tees/", {"sort": "price_desc"}).content.decode()

    assert "Harbor Tee" in first and "Harbor Tee" in again
    read = " ".join(q["sql"] for q in queries)
    assert "catalog_media" not in read and "catalog_producttranslation" not in read


def test_cards_are_kept_in_redis_only_not_in_the_workers_copies(client, shop_floor):
    """A catalog's worth of cards in a worker's bounded copies (shop.documents) would push out
    the page and product documents every request reads: cards go to Redis only."""
    from shop import documents

    documents.forget_local()
    client.get("/c/apparel/tees/")

    assert not [key for key in documents._local if key.startswith("sf:card:")]
    assert [key for key in documents._local if key.startswith("sf:page:")]


def test_the_category_tree_is_kept_per_process_under_its_version(
    client, shop_floor, monkeypatch, django_capture_on_commit_callbacks
):
    """Every page shows the nav: it is looked up once per nav version (and at most for
    STOREFRONT_CACHE_SECONDS, so a lost bump heals), not on every request."""
    looked_up = []
    real = page_cache._category_tree
    monkeypatch.setattr(
        page_cache, "_category_tree", lambda versions: looked_up.append(1) or real(versions)
    )
    for path in ["/", "/c/apparel/", "/p/harbor-tee/", "/search?q=tee", "/"]:
        assert client.get(path).status_code == 200
    assert len(looked_up) == 1

    with django_capture_on_commit_callbacks(execute=True):
        taxonomy.update_category(
            category=shop_floor["apparel"],
            name="Clothing",
            slug="apparel",
            parent=None,
            position=0,
            description="",
        )
    assert "Clothing" in client.get("/").content.decode()
    assert len(looked_up) == 2

    later = time.monotonic() + settings.STOREFRONT_CACHE_SECONDS + 1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert client.get("/c/apparel/").status_code == 200
    assert len(looked_up) == 3
