"""manage.py prewarm_caches: warms through the pages' own functions, so after it the product
and listing pages are served within their warm query budgets by a worker that never built
them; it reports what it warmed and refuses bad input with nothing warmed."""

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import availability_cache
from orders.providers.tables import CACHE_KEY as RATE_TABLES_KEY
from shop import selectors
from storefront import html_cache, page_cache
from tests.factories.catalog import (
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)
from tests.factories.inventory import LocationFactory, market, stock
from tests.storefront.test_page_cache import WARM_BUDGET

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_floor():
    """Apparel > Tees with Harbor Tee (two sizes) in the US and CA; a novel in the US only;
    nothing priced in euros for the EU market (the migrations' third market)."""
    market("US")
    market("CA")
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
            prices={"USD": 2500, "CAD": 3200},
        )
        for value in ("S", "M")
    ]
    novel = ProductFactory(title="Quiet Novel", handle="quiet-novel", categories=[books])
    novel_variant = VariantFactory(product=novel, sku="NOVEL-1", prices={"USD": 1200})
    warehouse = LocationFactory(code="us-east", country="US", markets=["US"])
    for variant in [*variants, novel_variant]:
        stock(variant, warehouse, 10)
    cache.clear()
    return tee


def _prewarm(*args) -> str:
    out = io.StringIO()
    call_command("prewarm_caches", "--no-progress", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _another_worker():
    """Forget this process's copies: what follows reads only what Redis holds."""
    page_cache.forget_local()
    html_cache.forget()
    availability_cache.forget_local()
    selectors._local_markets = (0.0, [])


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


def test_after_prewarm_the_product_page_is_served_within_its_warm_budget(client, shop_floor):
    _prewarm()
    _another_worker()

    count = _queries(client, "/p/harbor-tee/")

    assert count <= WARM_BUDGET["/p/harbor-tee/"]
    assert count == 1  # availability, read fresh: the document came from the warm cache


def test_after_prewarm_listings_and_home_are_within_their_warm_budgets(client, shop_floor):
    _prewarm()
    _another_worker()

    counts = {path: _queries(client, path) for path in ("/c/apparel/", "/c/apparel/tees/", "/")}

    assert all(counts[path] <= WARM_BUDGET[path] for path in counts), counts


def test_without_prewarm_the_first_product_page_is_cold(client, shop_floor):
    assert _queries(client, "/p/harbor-tee/") > WARM_BUDGET["/p/harbor-tee/"]


def test_prewarm_reports_what_it_warmed_per_kind(shop_floor):
    output = _prewarm()

    table = {
        line.rsplit(None, 2)[0].strip(): int(line.rsplit(None, 2)[1])
        for line in output.splitlines()[2:-1]
    }
    assert output.splitlines()[0] == "Warmed for markets: US, CA, EU"
    assert table == {
        "markets": 3,
        "category tree": 3,
        "home pages": 3,
        "listing pages": 9,  # 3 categories x 3 markets, one page each
        "product pages": 3,  # the tee in CA and US, the novel in the US
        "prices (CA, anonymous)": 2,
        "prices (US, anonymous)": 3,
        "promotions (live rules)": 0,
        "shipping and tax rates": table["shipping and tax rates"],
    }
    assert table["shipping and tax rates"] > 0
    assert cache.get(RATE_TABLES_KEY) is not None
    assert output.splitlines()[-1].startswith("total")


def test_the_market_filter_warms_that_market_only(client, shop_floor):
    output = _prewarm("--market", "ca")
    _another_worker()

    assert output.splitlines()[0] == "Warmed for markets: CA"
    assert "prices (US" not in output
    assert _queries(client, "/p/quiet-novel/") > WARM_BUDGET["/p/harbor-tee/"]  # US: cold


def test_the_progress_bar_counts_every_item(shop_floor):
    err = io.StringIO()

    call_command("prewarm_caches", stdout=io.StringIO(), stderr=err)

    # markets, tree, promotions, rates + per market: home, 3 categories, its products
    assert "19/19" in err.getvalue()  # 4 + US (1 + 3 + 2) + CA (1 + 3 + 1) + EU (1 + 3 + 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--market", "XX"], "Unknown market 'XX'; active markets: CA, EU, US."),
        (["--market", "U\x00S"], "is not a market code"),
        (["--pages", "0"], "must be a whole number from 1 to 1000"),
        (["--pages", "-3"], "must be a whole number from 1 to 1000"),
        (["--pages", "99999999999"], "must be a whole number from 1 to 1000"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_warmed(shop_floor, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _prewarm(*args)

    assert cache.get(RATE_TABLES_KEY) is None


def test_with_the_cache_down_it_says_so(shop_floor, monkeypatch):
    monkeypatch.setattr("storefront.prewarm.read_versions", lambda scopes: None)

    with pytest.raises(CommandError, match="The cache is unavailable; nothing was warmed."):
        _prewarm()
