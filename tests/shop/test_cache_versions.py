"""shop.cache_versions: a never-read scope starts at a fresh version, in one round trip for
any number of them, and never overwrites one another process started first; stock versions
read together with a page's versions serve that request's one availability read, never one
after a stock write."""

import time

import pytest
from django.core.cache import cache

from shop import cache_versions, request_memo
from shop.request_memo import RequestMemoMiddleware


def test_fifty_never_read_scopes_start_fresh_in_one_more_round_trip(redis_round_trips):
    scopes = [cache_versions.stock_scope(n) for n in range(50)]
    before = time.time_ns()

    first = cache_versions.read_versions(scopes)
    again = cache_versions.read_versions(scopes)

    assert len(redis_round_trips) == 3  # MGET, the script that starts them, MGET
    assert first == again and set(first) == set(scopes)
    assert all(version >= before for version in first.values())


def test_a_version_another_process_started_first_is_kept(redis_round_trips):
    cache.set("ver:stock:7", 42, timeout=None)  # started by someone else meanwhile

    started = cache_versions._start_versions(["ver:stock:7", "ver:stock:8"])

    assert started["ver:stock:7"] == 42
    assert started["ver:stock:8"] >= 42
    assert cache_versions.read_versions(["stock:7", "stock:8"]) == {
        "stock:7": 42,
        "stock:8": started["ver:stock:8"],
    }


def _in_a_request(work):
    """Run `work()` as a request would: inside the request memo (shop.request_memo)."""
    return RequestMemoMiddleware(lambda request: work())(None)


def _started(variant_ids) -> None:
    scopes = [*cache_versions.REQUEST_SCOPES, *map(cache_versions.stock_scope, variant_ids)]
    cache_versions.read_versions(scopes)
    cache_versions.read_stock_versions(variant_ids)


def test_stock_versions_read_with_the_page_versions_serve_the_next_stock_read_once(
    redis_round_trips,
):
    _started([1, 2])
    redis_round_trips.clear()

    def page():
        versions = cache_versions.read_versions_and_stock(["nav"], [1, 2])
        first = cache_versions.read_stock_versions([1, 2])
        calls_after_first = len(redis_round_trips)
        second = cache_versions.read_stock_versions([1, 2])
        return versions, first, calls_after_first, second

    versions, first, calls_after_first, second = _in_a_request(page)

    assert calls_after_first == 1  # the page's versions and the stock's, together
    assert len(redis_round_trips) == 2  # used once: a later read asks Redis again
    assert versions == cache_versions.read_versions(["nav"])
    assert first == second == cache_versions.read_stock_versions([1, 2])


def test_prefetched_stock_versions_are_not_used_for_other_variants(redis_round_trips):
    _started([1, 2, 3])
    redis_round_trips.clear()

    answer = _in_a_request(
        lambda: (
            cache_versions.read_versions_and_stock(["nav"], [1, 2]),
            cache_versions.read_stock_versions([1, 3]),
        )[1]
    )

    assert len(redis_round_trips) == 2
    assert answer == cache_versions.read_stock_versions([1, 3])


def test_a_stock_write_in_the_request_discards_the_prefetched_versions(redis_round_trips):
    _started([1, 2])

    def page():
        cache_versions.read_versions_and_stock(["nav"], [1, 2])
        before = cache_versions.read_versions(["stock:1"])["stock:1"]
        cache_versions.bump_stock_versions(["stock:1"])
        return before, cache_versions.read_stock_versions([1, 2])

    before, (_, (after, _)) = _in_a_request(page)

    assert after != before
    assert after == cache_versions.read_versions(["stock:1"])["stock:1"]


def test_outside_a_request_nothing_is_kept_for_later(redis_round_trips):
    _started([1, 2])
    redis_round_trips.clear()

    cache_versions.read_versions_and_stock(["nav"], [1, 2])
    cache_versions.read_stock_versions([1, 2])

    assert len(redis_round_trips) == 2


def test_a_never_read_page_scope_starts_fresh_and_the_stock_is_read_later(redis_round_trips):
    _started([1, 2])
    redis_round_trips.clear()

    def page():
        versions = cache_versions.read_versions_and_stock(["product:99"], [1, 2])
        return versions, cache_versions.read_stock_versions([1, 2])

    versions, stock = _in_a_request(page)

    assert set(versions) == {"product:99"}
    assert versions == cache_versions.read_versions(["product:99"])
    assert stock == cache_versions.read_stock_versions([1, 2])


def test_never_read_stock_versions_start_in_one_script_run_after_their_mget(redis_round_trips):
    variant_ids = list(range(900, 930))
    before = time.time_ns()

    first = cache_versions.read_stock_versions(variant_ids)
    trips = len(redis_round_trips)
    again = cache_versions.read_stock_versions(variant_ids)

    assert trips == 2  # MGET, then one script run for the 31 never-read keys
    assert len(redis_round_trips) == trips + 1
    assert first == again
    locations, versions = first
    assert len(versions) == 30 and min(versions) >= before
    assert cache_versions.read_versions([cache_versions.stock_scope(900)]) == {
        "stock:900": versions[0]
    }


def test_starting_versions_survives_a_flushed_script_cache_and_more_keys_than_a_run_takes():
    client = cache_versions._kept_redis_client()
    if client is None:
        pytest.skip("needs the Redis cache")
    client.script_flush()  # a restarted Redis: the script is sent whole again
    keys = [f"ver:stock:{n}" for n in range(10_000, 10_000 + 2 * cache_versions._START_CHUNK + 5)]

    started = cache_versions._start_versions(keys)

    assert list(started) == keys and len(set(started.values())) == 1
    assert cache_versions._start_versions(keys[-3:]) == {k: started[k] for k in keys[-3:]}


# --- What every request reads, once per request ------------------------------------------------


@pytest.fixture
def started_request_scopes(db):
    from shop import kill_switches

    cache_versions.read_versions(cache_versions.REQUEST_SCOPES)
    kill_switches._read_switched_off()  # the switches' key holds the set (for its TTL)


def test_the_first_version_read_of_a_request_brings_every_request_read(
    started_request_scopes, redis_round_trips
):
    from shop import kill_switches

    redis_round_trips.clear()

    def page():
        promotions = cache_versions.read_versions([cache_versions.PROMOTIONS, "prices"])
        first = len(redis_round_trips)
        nav = cache_versions.read_versions([cache_versions.NAV])
        off = kill_switches.switched_off()
        return promotions, nav, off, first

    promotions, nav, off, first = _in_a_request(page)

    assert first == 1  # the versions asked, the navigation's and the kill switches: one MGET
    assert len(redis_round_trips) == 1  # the rest of the request asks Redis nothing
    assert off == frozenset()
    assert promotions == cache_versions.read_versions([cache_versions.PROMOTIONS, "prices"])
    assert nav == cache_versions.read_versions([cache_versions.NAV])


def test_the_kill_switches_read_first_bring_the_versions(
    started_request_scopes, redis_round_trips
):
    from shop import kill_switches

    redis_round_trips.clear()

    def page():
        off = kill_switches.checkout_off("US")
        versions = cache_versions.read_versions([cache_versions.PROMOTIONS])
        return off, versions

    off, versions = _in_a_request(page)

    assert off is False
    assert len(redis_round_trips) == 1
    assert versions == cache_versions.read_versions([cache_versions.PROMOTIONS])


def test_other_scopes_are_still_read_afresh_in_a_request(
    started_request_scopes, redis_round_trips
):
    cache_versions.read_versions(["product:1"])  # started
    redis_round_trips.clear()

    def page():
        cache_versions.read_versions([cache_versions.PROMOTIONS])
        cache_versions.read_versions(["product:1"])
        cache_versions.read_versions(["product:1"])

    _in_a_request(page)

    assert len(redis_round_trips) == 3  # the first read, then product:1 twice


def test_a_bump_made_by_the_request_is_seen_by_its_next_read(
    started_request_scopes, django_capture_on_commit_callbacks
):
    def page():
        before = cache_versions.read_versions([cache_versions.PROMOTIONS])
        with django_capture_on_commit_callbacks(execute=True):
            cache_versions.bump_versions([cache_versions.PROMOTIONS])
        return before, cache_versions.read_versions([cache_versions.PROMOTIONS])

    before, after = _in_a_request(page)

    assert after[cache_versions.PROMOTIONS] != before[cache_versions.PROMOTIONS]


def test_a_kill_switch_flipped_by_the_request_is_seen_by_its_next_check(
    started_request_scopes, django_capture_on_commit_callbacks
):
    from shop import kill_switches, services
    from shop.models import KillSwitchKind

    def page():
        before = kill_switches.checkout_off()
        with django_capture_on_commit_callbacks(execute=True):
            services.set_kill_switch(
                kind=KillSwitchKind.CHECKOUT, is_off=True, reason="payment provider incident"
            )
        return before, kill_switches.checkout_off()

    assert _in_a_request(page) == (False, True)


def test_outside_a_request_every_read_asks_the_cache(started_request_scopes, redis_round_trips):
    redis_round_trips.clear()

    cache_versions.read_versions([cache_versions.PROMOTIONS])
    cache_versions.read_versions([cache_versions.PROMOTIONS])

    assert len(redis_round_trips) == 2


def test_switches_the_first_read_found_empty_are_read_from_the_database_without_asking_again(
    started_request_scopes, redis_round_trips
):
    from shop import kill_switches

    cache.delete(kill_switches.SWITCHES_CACHE_KEY)  # its one-second TTL ran out
    redis_round_trips.clear()

    off = _in_a_request(kill_switches.switched_off)

    assert off == frozenset()
    assert len(redis_round_trips) == 2  # the request's first read, then keeping the set
    assert cache.get(kill_switches.SWITCHES_CACHE_KEY) == frozenset()


# --- values fetched along, decoded when asked (the rate tables) ---------------------------------


def _new_york(tax_rates) -> list[int]:
    return [rate.rate_ppm for rate in tax_rates if (rate.country, rate.region) == ("US", "NY")]


@pytest.fixture
def cached_rate_tables(started_request_scopes):
    from orders.models import TaxRate
    from orders.providers import tables

    TaxRate.objects.update_or_create(
        country="US", region="NY", defaults={"name": "New York", "rate_ppm": 88_750}
    )
    tables.forget_rate_tables()
    tables._read_tables()  # outside a request: read from the database and cached
    return tables


def test_the_rate_tables_come_with_the_first_version_read_and_are_decoded_when_asked(
    cached_rate_tables, redis_round_trips
):
    tables = cached_rate_tables
    redis_round_trips.clear()

    def page():
        cache_versions.read_versions([cache_versions.PROMOTIONS])
        kept = request_memo.peek(cache_versions._FETCHED + tables.CACHE_KEY)
        return kept, tables.rate_tables(), len(redis_round_trips)

    kept, (_shipping, tax), trips = _in_a_request(page)

    assert isinstance(kept, cache_versions._Undecoded)  # not unpickled until asked for
    assert trips == 1  # the versions, the switches and the tables: one MGET
    assert _new_york(tax) == [88_750]


def test_a_rate_changed_in_the_request_is_not_read_from_the_fetched_copy(
    cached_rate_tables, django_capture_on_commit_callbacks
):
    from orders.models import TaxRate

    tables = cached_rate_tables

    def page():
        cache_versions.read_versions([cache_versions.PROMOTIONS])  # fetches the old tables
        with django_capture_on_commit_callbacks(execute=True):
            TaxRate.objects.filter(country="US", region="NY").update(rate_ppm=40_000)
            tables.forget_rate_tables()  # what the admin's save signals call
        return tables.rate_tables()[1]

    assert _new_york(_in_a_request(page)) == [40_000]


def test_tables_the_first_read_found_empty_come_from_the_database_without_asking_again(
    cached_rate_tables, redis_round_trips
):
    tables = cached_rate_tables
    cache.delete(tables.CACHE_KEY)  # their TTL ran out
    redis_round_trips.clear()

    def page():
        cache_versions.read_versions([cache_versions.PROMOTIONS])
        return tables.rate_tables()

    _shipping, tax = _in_a_request(page)

    assert _new_york(tax) == [88_750]
    assert len(redis_round_trips) == 2  # the first read, then keeping the tables: no GET
    assert cache.get(tables.CACHE_KEY) is not None


def test_outside_a_request_the_tables_are_read_from_the_cache(cached_rate_tables):
    tables = cached_rate_tables

    assert cache_versions.take_request_value(tables.CACHE_KEY) is cache_versions.NOT_FETCHED
    assert _new_york(tables.rate_tables()[1]) == [88_750]


# --- a cart's stock versions, hinted before the first read ------------------------------------


def test_a_hinted_carts_stock_versions_come_with_the_first_version_read(redis_round_trips):
    _started([1, 2])
    redis_round_trips.clear()

    def page():
        cache_versions.hint_request_stock([2, 1, 2])
        cache_versions.read_versions([cache_versions.PROMOTIONS])
        stock = cache_versions.read_stock_versions([2, 1])
        return stock, len(redis_round_trips)

    stock, trips = _in_a_request(page)

    assert trips == 1
    assert stock == cache_versions.read_stock_versions([2, 1])


def test_a_hint_after_the_first_read_changes_nothing(redis_round_trips):
    _started([1, 2])
    redis_round_trips.clear()

    def page():
        cache_versions.read_versions([cache_versions.PROMOTIONS])
        cache_versions.hint_request_stock([1, 2])
        cache_versions.read_versions([cache_versions.NAV])  # kept: no round trip
        cache_versions.read_stock_versions([1, 2])
        return len(redis_round_trips)

    assert _in_a_request(page) == 2  # the first read, then the stock's own
