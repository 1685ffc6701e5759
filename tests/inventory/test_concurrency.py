"""Real concurrency on PostgreSQL: threads, each with its own connection, racing for stock."""

import random
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from inventory import selectors, services
from inventory.exceptions import InsufficientStock, StockBelowPromised
from inventory.models import Reservation, ReservationStatus, StockLevel
from tests import concurrency
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 40  # each its own connection; PostgreSQL allows 100 and others share it


def race(attempts, action, threads=THREADS, refusals=(InsufficientStock,)):
    """tests.concurrency.race, answering ([(attempt, result)], [refused attempts], errors);
    errors would include deadlocks."""

    def attempt_once(attempt):
        try:
            return True, attempt, action(attempt)
        except refusals:
            return False, attempt, None

    results, _refused, errors = concurrency.race(
        attempts, attempt_once, threads=threads, refusals=()
    )
    ok = [(attempt, result) for took, attempt, result in results if took]
    short = [attempt for took, attempt, _result in results if not took]
    return ok, short, errors


def assert_reserved_matches_holds():
    for level in StockLevel.objects.all():
        held = Reservation.objects.filter(
            variant_id=level.variant_id,
            location_id=level.location_id,
            status__in=[ReservationStatus.ACTIVE, ReservationStatus.COMMITTED],
        ).aggregate(s=Sum("quantity"))["s"]
        assert level.reserved == (held or 0)
        assert level.reserved + level.in_transit_out <= level.on_hand + level.in_transit_in


def test_200_buyers_for_50_units_exactly_50_win():
    us = market("US")
    variant = VariantFactory(sku="DROP-1")
    warehouse = LocationFactory(code="us-east")
    stock(variant, warehouse, 50)

    ok, short, errors = race(
        list(range(200)),
        lambda i: services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_{i}"),
    )

    assert errors == []
    assert (len(ok), len(short)) == (50, 150)
    level = StockLevel.objects.get()
    assert (level.on_hand, level.reserved, level.atp) == (50, 50, 0)
    assert Reservation.objects.count() == 50
    assert selectors.available_quantities(variant_ids=[variant.pk], market=us) == {variant.pk: 0}
    assert_reserved_matches_holds()


def test_overlapping_multi_line_reservations_never_deadlock_or_oversell():
    us = market("US")
    east, west = LocationFactory(code="us-east"), LocationFactory(code="us-west")
    variants = [VariantFactory(sku=f"MULTI-{n}") for n in range(5)]
    for v in variants:
        stock(v, east, 12)
        stock(v, west, 8)
    rng = random.Random(7)
    orders = []
    for i in range(200):
        lines = rng.sample(variants, rng.randint(2, 4))  # SKUs overlap, in different orders
        orders.append((i, [(v, rng.randint(1, 2)) for v in lines]))
    first, second = variants[0], variants[1]
    positions = [[v for v, _ in lines] for _i, lines in orders]
    assert any(p.index(first) < p.index(second) for p in positions if {first, second} <= set(p))
    assert any(p.index(first) > p.index(second) for p in positions if {first, second} <= set(p))

    ok, short, errors = race(
        orders,
        lambda order: services.reserve_stock(lines=order[1], market=us, owner=f"cart_{order[0]}"),
    )

    assert errors == []
    assert len(ok) + len(short) == 200 and ok and short
    for (_i, lines), reservations in ok:  # every line of a winner is held, in full
        held = {}
        for r in reservations:
            held[r.variant_id] = held.get(r.variant_id, 0) + r.quantity
        assert held == {v.pk: q for v, q in lines}
    losers = [f"cart_{i}" for i, _ in short]
    assert not Reservation.objects.filter(owner__in=losers).exists()  # all-or-nothing
    won = {v.pk: 0 for v in variants}
    for (_i, lines), _reservations in ok:
        for v, q in lines:
            won[v.pk] += q
    for v in variants:
        levels = StockLevel.objects.filter(variant=v)
        assert levels.aggregate(s=Sum("reserved"))["s"] == won[v.pk] <= 20
        assert sorted(levels.values_list("on_hand", flat=True)) == [8, 12]
    assert_reserved_matches_holds()


def test_sweep_releases_exactly_the_expired_while_buyers_reserve():
    us = market("US")
    variant = VariantFactory(sku="FLASH-1")
    warehouse = LocationFactory(code="us-east")
    stock(variant, warehouse, 100)
    holds = [
        services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_old_{i}", ttl=600)[0]
        for i in range(100)
    ]
    expired_ids = [h.pk for h in holds[:60]]
    Reservation.objects.filter(pk__in=expired_ids).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    released = []

    def act(attempt):
        if attempt < 0:  # sweepers: small batches, so several race for the same rows
            released.append(services.expire_reservations(batch_size=5))
            return None
        return services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_new_{attempt}")

    ok, short, errors = race([-1, -2] + list(range(50)), act, threads=12)

    assert errors == [] and short == []
    assert len([o for o in ok if o[0] >= 0]) == 50
    statuses = dict(
        Reservation.objects.filter(owner__startswith="cart_old_").values_list("pk", "status")
    )
    assert sorted(pk for pk, s in statuses.items() if s == "expired") == sorted(expired_ids)
    assert {s for pk, s in statuses.items() if pk not in expired_ids} == {"active"}
    assert StockLevel.objects.get().reserved == 40 + 50
    assert services.expire_reservations() == 0  # nothing left, nothing released twice
    assert_reserved_matches_holds()


def test_concurrent_release_of_the_same_hold_gives_units_back_once():
    us = market("US")
    variant = VariantFactory(sku="REL-1")
    warehouse = LocationFactory(code="us-east")
    stock(variant, warehouse, 10)
    services.reserve_stock(lines={variant: 4}, market=us, owner="ord_1")

    ok, short, errors = race(list(range(20)), lambda i: services.release_stock(owner="ord_1"), 10)

    assert errors == []
    assert sorted(units for _i, units in ok) == [0] * 19 + [4]
    assert StockLevel.objects.get().reserved == 0


def test_write_offs_racing_reservations_never_take_promised_units():
    us = market("US")
    variant = VariantFactory(sku="RACE-1")
    warehouse = LocationFactory(code="us-east")
    stock(variant, warehouse, 30)

    def act(attempt):
        if attempt % 2:
            return services.write_off_stock(
                variant=variant, location=warehouse, quantity=1, reason="damaged"
            )
        return services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_{attempt}")

    ok, refused, errors = race(
        list(range(80)), act, refusals=(InsufficientStock, StockBelowPromised)
    )

    assert errors == []
    held = len([1 for attempt, _ in ok if attempt % 2 == 0])
    written_off = len([1 for attempt, _ in ok if attempt % 2])
    assert held + written_off == 30 and len(refused) == 50
    level = StockLevel.objects.get()
    assert (level.on_hand, level.reserved) == (30 - written_off, held)
    assert selectors.list_ledger_mismatches() == []
    assert_reserved_matches_holds()
