"""inventory.availability_cache: what pages show is kept per process under stock versions that
every stock write bumps, so it is never stale: each way stock moves shows on the next read."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import availability_cache, selectors, services
from inventory.availability_cache import kept_available_quantities
from inventory.models import Reservation
from inventory.services.release import release_held_units
from shop import cache_versions
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    us = market("US")
    east = LocationFactory(code="east", markets=["US"])
    variant, other = VariantFactory(sku="KEPT-1"), VariantFactory(sku="KEPT-2")
    stock(variant, east, 10)
    stock(other, east, 7)
    return {"us": us, "east": east, "variant": variant, "other": other}


def _kept(floor) -> dict[int, int]:
    ids = [floor["variant"].pk, floor["other"].pk]
    return kept_available_quantities(variant_ids=ids, market=floor["us"])


def _fresh(floor) -> dict[int, int]:
    ids = [floor["variant"].pk, floor["other"].pk]
    return selectors.available_quantities(variant_ids=ids, market=floor["us"])


def _warm(floor) -> None:
    """Read (and keep) what a page would show now, and check it is right."""
    assert _kept(floor) == _fresh(floor)


def test_a_kept_figure_is_answered_without_the_database(floor, django_assert_num_queries):
    first = _kept(floor)

    with django_assert_num_queries(0):
        again = _kept(floor)

    assert first == again == {floor["variant"].pk: 10, floor["other"].pk: 7}


def _reserve(f, units=2, owner="cart_kept"):
    return services.reserve_stock(lines=[(f["variant"], units)], market=f["us"], owner=owner)


def _reserve_routed(f):
    LocationFactory(code="west", markets=["US"])  # two locations: routing plans under lock
    _warm(f)
    _reserve(f)


def _release(f):
    _reserve(f)
    _warm(f)
    services.release_stock(owner="cart_kept")


def _release_some(f):
    _reserve(f, units=3)
    _warm(f)
    release_held_units(owner="cart_kept", variant=f["variant"], quantity=1)


def _expire(f):
    _reserve(f)
    Reservation.objects.filter(owner="cart_kept").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    _warm(f)
    services.expire_reservations()


def _pick(f):
    (held,) = _reserve(f)
    _warm(f)
    services.start_picking(reservation=held)


def _sell(f):
    (held,) = _reserve(f, units=3)
    _warm(f)
    services.consume_reservation(reservation=held, quantity=1)


def _transfer(f):
    west = LocationFactory(code="west-dc", markets=["CA"])
    transfer = services.create_transfer(
        source=f["east"], destination=west, lines={f["variant"]: 4}
    )
    _warm(f)
    services.ship_transfer(transfer=transfer)


def _close_location(f):
    f["east"].is_active = False
    f["east"].save(update_fields=["is_active"])


def _stop_serving_the_market(f):
    f["east"].markets.set([market("CA")])


STOCK_MOVES = {
    "receive": lambda f: services.receive_stock(
        variant=f["variant"], location=f["east"], quantity=5
    ),
    "adjust": lambda f: services.adjust_stock(
        variant=f["variant"], location=f["east"], delta=-3, reason="cycle count"
    ),
    "write off": lambda f: services.write_off_stock(
        variant=f["variant"], location=f["east"], quantity=2, reason="damaged"
    ),
    "count": lambda f: services.set_stock_count(
        variant=f["variant"], location=f["east"], on_hand=4, source="stocktake"
    ),
    "wms sync": lambda f: services.sync_stock_levels(
        location=f["east"], as_of=timezone.now(), items=[("KEPT-1", 1), ("KEPT-2", 2)]
    ),
    "safety stock": lambda f: services.set_safety_stock(
        variant=f["variant"], location=f["east"], safety_stock=6
    ),
    "reserve (one statement)": _reserve,
    "reserve (routed)": _reserve_routed,
    "release": _release,
    "release some units": _release_some,
    "expire": _expire,
    "pick": _pick,
    "sell": _sell,
    "ship a transfer": _transfer,
    "close the location": _close_location,
    "stop serving the market": _stop_serving_the_market,
}


@pytest.mark.parametrize("move", list(STOCK_MOVES))
def test_every_way_stock_moves_shows_on_the_very_next_read(floor, move):
    _warm(floor)  # kept in this process

    STOCK_MOVES[move](floor)

    # Inside the test's transaction, as a page later in a request's own transaction would.
    assert _kept(floor) == _fresh(floor)


def test_a_read_racing_a_commit_never_keeps_the_old_figure_past_it(
    floor, monkeypatch, django_capture_on_commit_callbacks
):
    """The reader took the versions, then read the database just before a write committed:
    it keeps the old figure, but under a version the write's bump after commit replaced."""
    real = selectors.available_quantities
    raced = []

    def read_then_someone_writes(**kwargs):
        figures = real(**kwargs)
        if not raced:
            raced.append(True)
            with django_capture_on_commit_callbacks(execute=True):
                services.receive_stock(
                    variant=floor["variant"], location=floor["east"], quantity=5
                )
        return figures

    monkeypatch.setattr(availability_cache, "available_quantities", read_then_someone_writes)

    old = _kept(floor)

    assert old[floor["variant"].pk] == 10  # what the racing read saw
    assert _kept(floor)[floor["variant"].pk] == 15


def test_the_bump_after_commit_is_what_outdates_a_read_between_bump_and_commit(
    floor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        services.receive_stock(variant=floor["variant"], location=floor["east"], quantity=5)
    versions = cache_versions.read_versions([cache_versions.stock_scope(floor["variant"].pk)])

    for callback in after_commit:
        callback()

    assert after_commit  # a bump is waiting for the commit
    assert cache_versions.read_versions([cache_versions.stock_scope(floor["variant"].pk)]) != (
        versions
    )


def test_with_redis_down_every_read_goes_to_the_database(floor, monkeypatch):
    _kept(floor)
    monkeypatch.setattr(availability_cache, "read_stock_versions", lambda variant_ids: None)

    with CaptureQueriesContext(connection) as read:
        kept = _kept(floor)

    assert kept == _fresh(floor) and len(read) >= 1


def test_kept_figures_expire_even_if_a_bump_was_lost(floor, monkeypatch, settings):
    settings.AVAILABILITY_CACHE_SECONDS = 0
    _kept(floor)
    monkeypatch.setattr(cache_versions, "_replace_now", lambda scopes: None)  # bumps lost

    services.receive_stock(variant=floor["variant"], location=floor["east"], quantity=5)

    assert _kept(floor)[floor["variant"].pk] == 15
