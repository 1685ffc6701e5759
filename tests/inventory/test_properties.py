"""Random sequences of stock operations never break the inventory invariants.

After every step: on_hand equals the sum of the ledger, the counters equal what the
reservations and in-transit transfers say, the CHECK invariants hold, and a refused
operation changed nothing.
"""

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import selectors, services
from inventory.models import (
    HOLDING_STATUSES,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    TransferStatus,
)
from shop.exceptions import DomainError
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

_skus = itertools.count()
OWNERS = ["cart_a", "cart_b", "ord_c", "ord_d"]

ops = st.one_of(
    st.tuples(
        st.just("reserve"),
        st.integers(0, 1),
        st.integers(1, 6),
        st.sampled_from(OWNERS),
    ),
    st.tuples(
        st.sampled_from(["commit", "release", "consume", "pick", "extend"]),
        st.sampled_from(OWNERS),
    ),
    st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(0, 1), st.integers(-6, 8)),
    st.tuples(st.just("sync"), st.integers(0, 1), st.integers(0, 1), st.integers(0, 12)),
    st.tuples(st.just("expire")),
    st.tuples(st.just("transfer"), st.integers(0, 1), st.integers(0, 1), st.integers(1, 4)),
    st.tuples(st.just("receive")),
)


OWNER_OPERATIONS = {
    "commit": services.commit_reservations,
    "release": services.release_stock,
    "extend": services.extend_reservations,
}


def _apply(op, variants, locations, us):
    name = op[0]
    if name == "reserve":
        _, v, qty, owner = op
        services.reserve_stock(lines={variants[v]: qty}, market=us, owner=owner, ttl=60)
    elif name in OWNER_OPERATIONS:
        OWNER_OPERATIONS[name](owner=op[1])
    elif name in ("consume", "pick"):
        held = Reservation.objects.open().filter(owner=op[1], variant__in=variants).first()
        if held is None:
            return
        if name == "consume":
            services.consume_reservation(reservation=held)
        else:
            services.start_picking(reservation=held)
    elif name == "adjust":
        _, v, loc, delta = op
        services.adjust_stock(
            variant=variants[v], location=locations[loc], delta=delta, reason="hypothesis"
        )
    elif name == "sync":
        _, v, loc, count = op
        services.set_stock_count(
            variant=variants[v], location=locations[loc], on_hand=count, source="wms"
        )
    elif name == "expire":
        services.expire_reservations(now=timezone.now() + timedelta(minutes=5))
    elif name == "transfer":  # ship at once: inbound units count in the destination's ATP
        _, v, src, qty = op
        with transaction.atomic():
            transfer = services.create_transfer(
                source=locations[src], destination=locations[1 - src], lines={variants[v]: qty}
            )
            services.ship_transfer(transfer=transfer)
    elif name == "receive":
        oldest = (
            Transfer.objects.filter(status=TransferStatus.IN_TRANSIT, lines__variant__in=variants)
            .order_by("pk")
            .first()
        )
        if oldest is not None:
            services.receive_transfer(transfer=oldest)


def _state(variants):
    return (
        list(
            StockLevel.objects.filter(variant__in=variants)
            .order_by("pk")
            .values_list("on_hand", "reserved", "in_transit_out", "in_transit_in")
        ),
        StockMovement.objects.filter(variant__in=variants).count(),
        list(
            Reservation.objects.filter(variant__in=variants)
            .order_by("pk")
            .values_list("status", "quantity", "expires_at", "owner")
        ),
        list(
            Transfer.objects.filter(lines__variant__in=variants)
            .order_by("pk")
            .values_list("status", flat=True)
        ),
    )


def _sums(queryset, value, *key):
    """{key: sum(value)} in one grouped query."""
    rows = queryset.values_list(*key).annotate(s=Sum(value)).values_list(*key, "s").order_by()
    return {tuple(row[:-1]): row[-1] for row in rows}


def _check_invariants(variants, us):
    key = ("variant_id", "location_id")
    holds = Reservation.objects.filter(variant__in=variants)
    held = _sums(holds.filter(status__in=HOLDING_STATUSES), "quantity", *key)
    picking = _sums(holds.filter(status=ReservationStatus.PICKING), "quantity", *key)
    ledger = _sums(StockMovement.objects.filter(variant__in=variants), "delta", *key)
    inbound = _sums(
        TransferLine.objects.filter(
            variant__in=variants, transfer__status=TransferStatus.IN_TRANSIT
        ),
        "quantity",
        "variant_id",
        "transfer__destination_id",
    )
    levels = list(StockLevel.objects.filter(variant__in=variants))
    for level in levels:
        at = (level.variant_id, level.location_id)
        assert min(level.on_hand, level.reserved, level.in_transit_out, level.in_transit_in) >= 0
        assert level.reserved == held.get(at, 0)
        assert level.in_transit_out == picking.get(at, 0)
        assert level.in_transit_in == inbound.get(at, 0)
        assert level.reserved + level.in_transit_out <= level.on_hand + level.in_transit_in
        assert level.on_hand == ledger.get(at, 0)
    assert {at for at in ledger if ledger[at]} <= {
        (lv.variant_id, lv.location_id) for lv in levels
    }
    available = selectors.available_quantities(variant_ids=[v.pk for v in variants], market=us)
    for v in variants:
        expected = sum(max(0, lvl.atp) for lvl in levels if lvl.variant_id == v.pk)
        assert available[v.pk] == expected >= 0


@pytest.fixture
def places(db):
    return [LocationFactory(code="p-east", priority=1), LocationFactory(code="p-west")]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(ops, min_size=1, max_size=25))
def test_random_operations_keep_the_invariants(places, operations):
    us = market("US")
    n = next(_skus)
    variants = [VariantFactory(sku=f"HYP-{n}-A"), VariantFactory(sku=f"HYP-{n}-B")]
    for v in variants:
        services.receive_stock(variant=v, location=places[0], quantity=5)

    for op in operations:
        before = _state(variants)
        try:
            _apply(op, variants, places, us)
        except DomainError:
            assert _state(variants) == before  # a refusal changes nothing
        _check_invariants(variants, us)
