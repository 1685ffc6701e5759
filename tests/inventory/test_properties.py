"""Random sequences of stock operations never break the inventory invariants."""

import itertools
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import selectors, services
from inventory.models import Reservation, ReservationStatus, StockLevel, StockMovement
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
)


def _apply(op, variants, locations, us):
    name = op[0]
    if name == "reserve":
        _, v, qty, owner = op
        services.reserve(lines={variants[v]: qty}, market=us, owner=owner, ttl=60)
    elif name in ("commit", "release", "extend"):
        getattr(services, name)(owner=op[1])
    elif name in ("consume", "pick"):
        held = Reservation.objects.open().filter(owner=op[1], variant__in=variants).first()
        if held is None:
            return
        if name == "consume":
            services.consume(reservation=held)
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


def _state(variants):
    return list(
        StockLevel.objects.filter(variant__in=variants)
        .order_by("pk")
        .values_list("on_hand", "reserved", "in_transit_out", "in_transit_in")
    ), StockMovement.objects.filter(variant__in=variants).count()


def _check_invariants(variants, us):
    for level in StockLevel.objects.filter(variant__in=variants):
        holds = Reservation.objects.filter(variant=level.variant, location=level.location)
        held = holds.filter(
            status__in=[ReservationStatus.ACTIVE, ReservationStatus.COMMITTED]
        ).aggregate(s=Sum("quantity"))["s"]
        picking = holds.filter(status=ReservationStatus.PICKING).aggregate(s=Sum("quantity"))["s"]
        ledger = StockMovement.objects.filter(
            variant=level.variant, location=level.location
        ).aggregate(s=Sum("delta"))["s"]
        assert level.on_hand >= 0
        assert level.reserved == (held or 0)
        assert level.in_transit_out == (picking or 0)
        assert level.reserved + level.in_transit_out <= level.on_hand + level.in_transit_in
        assert level.on_hand == (ledger or 0)
    available = selectors.available_quantities(variant_ids=[v.pk for v in variants], market=us)
    for v in variants:
        expected = sum(max(0, lvl.atp) for lvl in StockLevel.objects.filter(variant=v))
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
