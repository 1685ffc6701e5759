"""The public catalog API's shopper reads from the versioned cache (catalog/api/cached.py):
warm answers cost the one live stock query, every catalog write shows on the next request,
stock is never cached, staff answers are never shared, unknown parameters make no entries, and
a dead Redis is answered from the database."""

import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import ProductStatus
from inventory import services as inventory_services
from inventory.models import Location
from tests.factories.catalog import (
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.shop import UserFactory

pytestmark = pytest.mark.django_db

DETAIL = "/api/v1/products/harbor-tee"
LIST = "/api/v1/products"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def shelf():
    """Tees with Harbor Tee (two sizes, 10 each in a US warehouse) and a draft."""
    market("US")
    tees = CategoryFactory(name="Tees", slug="tees")
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
    draft = ProductFactory(title="Secret Tee", handle="secret-tee", status=ProductStatus.DRAFT)
    VariantFactory(product=draft, sku="SECRET-1", prices={"USD": 900})
    warehouse = LocationFactory(code="us-east", country="US", markets=["US"])
    for variant in variants:
        stock(variant, warehouse, 10)
    cache.clear()  # factories bump nothing: start cold
    return {"tee": tee, "variants": variants, "warehouse": warehouse}


def _get(api, path, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, params or {})
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return response.json(), len(queries)


def test_a_warm_detail_costs_no_query_and_answers_the_same_as_cold(api, shelf):
    cold, cold_queries = _get(api, DETAIL)
    warm, warm_queries = _get(api, DETAIL)

    assert warm == cold
    assert [v["available"] for v in warm["variants"]] == [10, 10]
    assert warm_queries == 0 < cold_queries  # the stock kept under its unchanged versions


def test_a_warm_list_page_costs_the_stock_queries_only_and_answers_the_same(api, shelf):
    cold, cold_queries = _get(api, LIST, {"category": "tees"})
    warm, warm_queries = _get(api, LIST, {"category": "tees"})

    assert warm == cold
    assert [item["handle"] for item in warm["results"]] == ["harbor-tee"]
    assert warm["results"][0]["in_stock"] is True
    # the category lookup and the stock; nothing of the products themselves
    assert warm_queries <= 2 < cold_queries


def test_stock_is_never_cached(api, shelf, django_capture_on_commit_callbacks):
    _get(api, DETAIL), _get(api, LIST)

    with django_capture_on_commit_callbacks(execute=True):
        for variant in shelf["variants"]:
            inventory_services.set_stock_count(
                variant=variant, location=Location.objects.get(), on_hand=0, source="test"
            )

    detail, _ = _get(api, DETAIL)
    assert [v["available"] for v in detail["variants"]] == [0, 0]
    listed, _ = _get(api, LIST)
    assert [item["in_stock"] for item in listed["results"]] == [False]


def test_a_price_change_shows_on_the_next_request(api, shelf, django_capture_on_commit_callbacks):
    _get(api, DETAIL), _get(api, LIST), _get(api, LIST, {"category": "tees"})

    with django_capture_on_commit_callbacks(execute=True):
        for variant in shelf["variants"]:
            catalog_services.set_variant_prices(
                variant=variant, prices={"USD": (1999, None)}, actor=None
            )

    detail, _ = _get(api, DETAIL)
    assert {v["price"]["amount"] for v in detail["variants"]} == {1999}
    for params in ({}, {"category": "tees"}):
        listed, _ = _get(api, LIST, params)
        assert listed["results"][0]["price_range"]["min"]["amount"] == 1999, params


def test_archiving_shows_on_the_next_request(api, shelf, django_capture_on_commit_callbacks):
    _get(api, DETAIL), _get(api, LIST)

    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.archive_products(products=[shelf["tee"]])

    assert api.get(DETAIL).status_code == 404
    assert _get(api, LIST)[0]["results"] == []


def test_staff_answers_are_never_served_to_shoppers(api, shelf):
    staff = UserFactory(is_staff=True, is_superuser=True)
    api.force_authenticate(staff)
    assert api.get("/api/v1/products/secret-tee").status_code == 200
    api.force_authenticate(None)

    assert api.get("/api/v1/products/secret-tee").status_code == 404


def test_unknown_list_parameters_are_answered_but_never_kept(api, shelf, monkeypatch):
    stored = []
    real_set_many = cache.set_many
    monkeypatch.setattr(
        cache,
        "set_many",
        lambda entries, *a, **k: (stored.extend(entries), real_set_many(entries, *a, **k)),
    )

    for n in range(5):
        listed, _ = _get(api, LIST, {"utm_source": f"mail-{n}"})
        assert [item["handle"] for item in listed["results"]] == ["harbor-tee"]

    assert not [key for key in stored if key.startswith("sf:api-products")]


def test_next_links_follow_the_host_that_asked(api, shelf):
    for n in range(3):
        VariantFactory(
            product=ProductFactory(handle=f"extra-{n}", title=f"Extra {n}"),
            prices={"USD": 100},
        )
    cache.clear()
    first = api.get(LIST, {"page_size": 1}, HTTP_HOST="testserver").json()
    other = api.get(LIST, {"page_size": 1}, HTTP_HOST="localhost").json()

    assert first["next"].startswith("http://testserver/")
    assert other["next"].startswith("http://localhost/")


def test_a_dead_redis_is_answered_from_the_database(api, shelf, caplog):
    _get(api, DETAIL), _get(api, LIST)
    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    with override_settings(CACHES=dead), caplog.at_level(logging.WARNING):
        detail, _ = _get(api, DETAIL)
        listed, _ = _get(api, LIST)

    assert detail["handle"] == "harbor-tee"
    assert [item["handle"] for item in listed["results"]] == ["harbor-tee"]
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)


def _kept_list_keys(monkeypatch) -> list[str]:
    stored = []
    real_set_many = cache.set_many

    def set_many(entries, *args, **kwargs):
        stored.extend(key for key in entries if key.startswith("sf:api-products"))
        return real_set_many(entries, *args, **kwargs)

    monkeypatch.setattr(cache, "set_many", set_many)
    return stored


def test_page_numbers_are_keyed_by_value_and_bad_ones_are_never_kept(api, shelf, monkeypatch):
    kept = _kept_list_keys(monkeypatch)

    for page in ("1", "01", "0001"):
        assert _get(api, LIST, {"page": page})[0]["count"] == 1
    assert len(kept) == 1
    for page in ("0", "2", "abc"):
        assert api.get(LIST, {"page": page}).status_code == 404, page
    assert api.get(LIST, {"page": "١"}).status_code == 200  # DRF reads any Unicode digit
    assert len(kept) == 1


def test_searches_that_find_nothing_or_are_long_are_answered_but_not_kept(api, shelf, monkeypatch):
    kept = _kept_list_keys(monkeypatch)

    assert _get(api, LIST, {"q": "zzqx"})[0]["results"] == []
    assert _get(api, LIST, {"q": "harbor " + "x" * 120})[0]["count"] == 0
    assert kept == []
    assert [item["handle"] for item in _get(api, LIST, {"q": "Harbor"})[0]["results"]] == [
        "harbor-tee"
    ]
    assert len(kept) == 1


def test_warm_answers_come_from_this_process_with_only_the_versions_read_from_redis(
    api, shelf, monkeypatch
):
    api.get(DETAIL)
    api.get(LIST, {"page": 1})
    document_reads = []
    real_get_many = cache.get_many
    monkeypatch.setattr(
        cache,
        "get_many",
        lambda keys, *a, **k: (document_reads.append(keys), real_get_many(keys))[1],
    )

    detail, listing = api.get(DETAIL), api.get(LIST, {"page": 1})

    # The versions are one MGET on the kept client (shop.cache_versions); the answers
    # themselves are this process's copies of the same versioned keys: no second trip.
    assert detail.status_code == listing.status_code == 200
    assert document_reads == []


@override_settings(MARKETS_LOCAL_SECONDS=60)  # as in production: kept in each process
@pytest.mark.parametrize("path", [DETAIL, LIST + "?page=1"])
def test_a_warm_answer_is_one_redis_round_trip(api, shelf, path, redis_round_trips):
    from shop import selectors as shop_selectors

    api.get(path)
    api.get(path)
    redis_round_trips.clear()

    answer, _queries = _get(api, path)
    commands = len(redis_round_trips)
    shop_selectors.clear_market_cache()  # the next test starts without this process's copy

    # One MGET: the answer's versions with the stock versions of its variants (a detail's
    # handle entry names them; a list page's last answer did), whose availability then comes
    # from this process's copies.
    assert commands == 1
    if path == DETAIL:
        assert [v["available"] for v in answer["variants"]] == [10, 10]
    else:
        assert [p["in_stock"] for p in answer["results"]] == [True]
