"""benchmarks/checkout_cpu.py: its buyers check out through the WSGI handler in the test's own
process, and each request's statements and Redis commands are counted exactly (the CPU is
the benchmark's business, never asserted here)."""

import pytest
from django.core.handlers.wsgi import WSGIHandler

from benchmarks.checkout_cpu import WsgiHttp, _Meter
from orders.models import Order
from storefront.drill import buyers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("way", ["storefront", "api"])
def test_a_checkout_in_process_places_an_order_and_counts_every_request(product, way):
    meter = _Meter()
    meter.recording = True
    checkout, steps = buyers.WAYS[way]

    outcome = checkout(WsgiHttp(WSGIHandler(), meter), **product, email="cpu@example.com")

    assert (outcome.result, outcome.detail) == ("placed", "")
    assert Order.objects.filter(email="cpu@example.com").count() == 1
    place = "POST /checkout/place/" if way == "storefront" else "POST /api/v1/orders"
    assert set(meter.cpu) >= {"GET /p/<handle>/", place}
    assert sum(len(v) for v in meter.cpu.values()) == len(steps)  # one request a step
    # Placing an order writes: statements are counted per request, not per checkout.
    assert 5 <= meter.statements[place][0] <= 60
    assert all(count >= 0 for counts in meter.redis.values() for count in counts)


def test_redis_commands_are_counted_once_per_round_trip(settings):
    from django.core.cache import cache

    meter = _Meter()
    before = meter.redis_commands
    cache.set("cpu-count", 1)
    cache.get("cpu-count")
    cache.get_many(["cpu-count", "other"])  # one MGET

    assert meter.redis_commands - before == 3


def test_a_requests_redis_commands_are_listed_with_their_first_key():
    from django.core.cache import cache

    from benchmarks.checkout_cpu import _redis_sent

    _Meter()
    _redis_sent.clear()
    cache.set("cpu-listed", 1)
    cache.get_many(["cpu-listed", "other"])

    assert [entry.split(" ")[0] for entry in _redis_sent] == ["SET", "MGET"]
    assert all("cpu-listed" in entry for entry in _redis_sent)


def test_a_profile_holds_the_handling_of_counted_requests_only(product):
    import cProfile
    import pstats

    meter = _Meter()
    meter.profiler = cProfile.Profile()
    meter.recording = True
    checkout, _steps = buyers.WAYS["storefront"]

    outcome = checkout(WsgiHttp(WSGIHandler(), meter), **product, email="prof@example.com")

    assert outcome.result == "placed"
    meter.profiler.create_stats()
    functions = {name for (_file, _line, name) in pstats.Stats(meter.profiler).stats}
    assert "place_order" in functions  # the view and the service
    assert "hidden_fields" not in functions  # the buyer's own page parsing is left out


def test_the_checkout_steps_read_rate_tables_and_stock_with_their_first_cache_read(product):
    meter = _Meter()
    meter.recording = True
    checkout, _steps = buyers.WAYS["storefront"]
    handler = WSGIHandler()
    checkout(WsgiHttp(handler, meter), **product, email="warm@example.com")  # tables cached

    outcome = checkout(WsgiHttp(handler, meter), **product, email="steps@example.com")

    assert outcome.result == "placed"
    after_add = {step: sent for step, sent in meter.last_round_trips.items() if "checkout" in step}
    assert len(after_add) == 6  # identify (GET and POST), address, shipping, payment, place
    for step, sent in after_add.items():
        own_reads = [
            entry
            for entry in sent
            if entry.startswith(("redis: GET", "redis: MGET"))
            and ("rate-tables" in entry or "ver:stock-locations" in entry)
        ]
        assert own_reads == [], step
