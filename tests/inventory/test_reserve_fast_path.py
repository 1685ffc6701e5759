"""reserve_stock's one-statement path (PostgreSQL, a market served by one location): the same
rules as the routed path, in one round trip, under real concurrency."""

import contextlib
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import selectors, services
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, ReservationStatus, StockLevel
from inventory.services import reservations as reservation_services
from inventory.services._reserve_fast import SeveralLocations
from shop.locks import LockTimeout, lock_rows
from tests.concurrency import together
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def _statements(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


@pytest.fixture(params=["one_statement", "routed"])
def path(request, monkeypatch):
    """Run a test on both paths: the routed one is what SQLite and several-location markets
    take, forced here on PostgreSQL by making the fast path step aside."""
    if request.param == "routed":

        def step_aside(*args, **kwargs):
            raise SeveralLocations()

        monkeypatch.setattr(reservation_services, "reserve_in_one_statement", step_aside)
    return request.param


@pytest.mark.django_db(transaction=True)  # no test-wide transaction: as production calls it
def test_one_reservation_is_one_statement_and_no_transaction_control(variant, warehouse, us):
    other = VariantFactory(sku="TEE-BLUE-M")
    stock(variant, warehouse, 10)
    stock(other, warehouse, 10)

    with CaptureQueriesContext(connection) as one:
        services.reserve_stock(lines={variant: 1}, market=us, owner="cart_1")
    with CaptureQueriesContext(connection) as two:
        services.reserve_stock(lines={variant: 2, other: 3}, market=us, owner="cart_2")
    with CaptureQueriesContext(connection) as short, pytest.raises(InsufficientStock):
        services.reserve_stock(lines={variant: 1, other: 8}, market=us, owner="cart_3")
    with CaptureQueriesContext(connection) as one_short, pytest.raises(InsufficientStock):
        services.reserve_stock(lines={other: 8}, market=us, owner="cart_4")

    # Autocommit: the statement commits itself, so the row lock never waits for Python. One
    # line takes no lock ahead of its conditional UPDATE; refused, it is counted under lock.
    assert [len(ctx.captured_queries) for ctx in (one, two, short, one_short)] == [1, 1, 1, 2]
    assert list(StockLevel.objects.order_by("pk").values_list("reserved", flat=True)) == [3, 3]


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_is_one_statement_of_it(variant, warehouse, us):
    stock(variant, warehouse, 10)

    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        services.reserve_stock(lines={variant: 4}, market=us, owner="ord_1")
        with pytest.raises(InsufficientStock):
            services.reserve_stock(lines={variant: 7}, market=us, owner="ord_2")
        # A refused line changed nothing and did not break the caller's transaction.
        assert StockLevel.objects.get().reserved == 4

    # 1 for the reservation; a refused single line is counted again under lock (2); 1 read.
    assert len(_statements(ctx)) == 4
    assert list(Reservation.objects.values_list("owner", "quantity")) == [("ord_1", 4)]


@pytest.mark.django_db(transaction=True)
def test_the_timeout_set_by_the_statement_counts_for_later_locks(variant, warehouse, us):
    stock(variant, warehouse, 10)

    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        services.reserve_stock(lines={variant: 1}, market=us, owner="ord_1")
        lock_rows(StockLevel.objects.all())  # same timeout: no second SET

    assert len(_statements(ctx)) == 2
    assert sum("set_config('lock_timeout'" in sql for sql in _statements(ctx)) == 1


@pytest.mark.django_db
def test_both_paths_reserve_and_refuse_alike(path, variant, warehouse, us):
    other = VariantFactory(sku="TEE-BLUE-M")
    stock(variant, warehouse, 10)
    stock(other, warehouse, 1)

    held = services.reserve_stock(lines=[(variant, 2), (other, 1)], market=us, owner="cart_1")
    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(lines={variant: 2, "TEE-BLUE-M": 1}, market=us, owner="cart_2")

    assert [(r.variant_id, r.location_id, r.quantity, r.owner) for r in held] == [
        (variant.pk, warehouse.pk, 2, "cart_1"),
        (other.pk, warehouse.pk, 1, "cart_1"),
    ]
    assert exc.value.lines == [{"sku": "TEE-BLUE-M", "requested": 1, "available": 0}]
    stored = Reservation.objects.order_by("pk")
    assert [r.public_id for r in stored] == [r.public_id for r in held]
    assert [(r.pk, r.created_at, r.expires_at) for r in stored] == [
        (r.pk, r.created_at, r.expires_at) for r in held
    ]
    assert all(r.public_id.startswith("rsv_") and len(r.public_id) == 24 for r in held)
    assert list(StockLevel.objects.order_by("pk").values_list("reserved", flat=True)) == [2, 1]


@pytest.mark.django_db
def test_both_paths_make_hard_holds_without_expiry(path, variant, warehouse, us):
    stock(variant, warehouse, 3)

    (held,) = services.reserve_stock(lines={variant: 3}, market=us, owner="ord_1", kind="hard")

    stored = Reservation.objects.get()
    assert (held.status, held.kind, held.expires_at) == (ReservationStatus.COMMITTED, "hard", None)
    assert (stored.status, stored.kind, stored.expires_at) == ("committed", "hard", None)


@pytest.mark.django_db
def test_both_paths_take_expired_holds_back_only_when_the_reservation_succeeds(
    path, variant, warehouse, us
):
    stock(variant, warehouse, 5)
    (old,) = services.reserve_stock(lines={variant: 4}, market=us, owner="cart_old", ttl=60)
    Reservation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(1))

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(lines={variant: 6}, market=us, owner="cart_big")
    still = Reservation.objects.get(pk=old.pk).status
    (held,) = services.reserve_stock(lines={variant: 5}, market=us, owner="cart_new")

    # The refused reservation rolled the release back too (all or nothing); the next one
    # released the lapsed hold and used its units.
    assert exc.value.lines == [{"sku": "TEE-RED-M", "requested": 6, "available": 5}]
    assert still == ReservationStatus.ACTIVE
    assert Reservation.objects.get(pk=old.pk).status == ReservationStatus.EXPIRED
    assert (held.quantity, StockLevel.objects.get().reserved) == (5, 5)


@pytest.mark.django_db
def test_both_paths_refuse_a_market_without_locations(path, variant, warehouse):
    stock(variant, warehouse, 5)

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(lines={variant: 1}, market=market("EU"), owner="cart_1")

    assert exc.value.lines == [{"sku": "TEE-RED-M", "requested": 1, "available": 0}]
    assert StockLevel.objects.get().reserved == 0


@pytest.mark.django_db
def test_a_line_without_a_stock_row_is_short_with_nothing_reserved(variant, warehouse, us):
    never_stocked = VariantFactory(sku="NEW-1")
    stock(variant, warehouse, 5)

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(lines={variant: 1, never_stocked: 1}, market=us, owner="c")

    assert exc.value.lines == [{"sku": "NEW-1", "requested": 1, "available": 0}]
    assert StockLevel.objects.get().reserved == 0
    assert not Reservation.objects.exists()


@pytest.mark.django_db
def test_a_second_location_sends_the_market_through_routing(variant, warehouse, us):
    west = LocationFactory(code="us-west", priority=5)
    stock(variant, warehouse, 5)
    stock(variant, west, 1)

    (held,) = services.reserve_stock(lines={variant: 3}, market=us, owner="cart_1")

    assert held.location_id == warehouse.pk  # west comes first but cannot fill the line


@pytest.mark.django_db(transaction=True)
def test_one_prepared_cursor_per_connection_survives_a_reconnect_and_stays_visible(
    variant, warehouse, us
):
    stock(variant, warehouse, 10)

    services.reserve_stock(lines={variant: 1}, market=us, owner="cart_1")
    kept = connection._emporium_prepared_cursor
    services.reserve_stock(lines={variant: 1}, market=us, owner="cart_2")
    reused = connection._emporium_prepared_cursor is kept
    connection.close()
    services.reserve_stock(lines={variant: 1}, market=us, owner="cart_3")
    with CaptureQueriesContext(connection) as listened:  # a listener gets Django's cursor
        services.reserve_stock(lines={variant: 1}, market=us, owner="cart_4")

    assert reused and kept.connection.closed
    assert connection._emporium_prepared_cursor is not kept
    assert len(listened.captured_queries) == 1
    assert StockLevel.objects.get().reserved == 4
    assert Reservation.objects.count() == 4


@contextlib.contextmanager
def _stock_rows_held_elsewhere():
    """Another connection holds every stock row locked until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold_the_rows():
        try:
            with transaction.atomic():
                lock_rows(StockLevel.objects.all(), timeout_ms=5000)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_rows)
    holder.start()
    assert held.wait(30)
    try:
        yield
    finally:
        release.set()
        holder.join(30)


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_in_autocommit_is_a_lock_timeout_and_changes_nothing(
    variant, warehouse, us, settings
):
    stock(variant, warehouse, 10)
    settings.DB_LOCK_TIMEOUT_MS = 50
    with _stock_rows_held_elsewhere(), pytest.raises(LockTimeout):
        services.reserve_stock(lines={variant: 1}, market=us, owner="cart_1")
    (again,) = services.reserve_stock(lines={variant: 1}, market=us, owner="cart_2")

    assert not Reservation.objects.exclude(pk=again.pk).exists()
    assert StockLevel.objects.get().reserved == 1


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_inside_a_transaction_marks_it_for_rollback(
    variant, warehouse, us, settings
):
    stock(variant, warehouse, 10)
    settings.DB_LOCK_TIMEOUT_MS = 50
    with _stock_rows_held_elsewhere(), transaction.atomic():
        with pytest.raises(LockTimeout):
            services.reserve_stock(lines={variant: 1}, market=us, owner="ord_1")
        marked = transaction.get_rollback()

    assert marked is True
    assert not Reservation.objects.exists()
    assert StockLevel.objects.get().reserved == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_racing_multi_line_buyers_win_whole_or_not_at_all():
    us = market("US")
    warehouse = LocationFactory(code="us-east")
    plenty, scarce = VariantFactory(sku="PLENTY"), VariantFactory(sku="SCARCE")
    stock(plenty, warehouse, 30)
    stock(scarce, warehouse, 7)

    ok, short, errors = together(
        30,
        lambda n: services.reserve_stock(
            lines={plenty: 1, scarce: 1}, market=us, owner=f"cart_{n}"
        ),
        refusals=(InsufficientStock,),
    )

    assert errors == []
    assert (len(ok), len(short)) == (7, 23)
    levels = dict(StockLevel.objects.values_list("variant__sku", "reserved"))
    assert levels == {"PLENTY": 7, "SCARCE": 7}
    for reservations in ok:
        assert sorted(r.variant_id for r in reservations) == sorted([plenty.pk, scarce.pk])
    winners = {r.owner for reservations in ok for r in reservations}
    assert set(Reservation.objects.values_list("owner", flat=True)) == winners  # losers: none
    assert selectors.available_quantities(variant_ids=[scarce.pk], market=us) == {scarce.pk: 0}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_racing_buyers_and_lapsed_holds_never_go_below_zero():
    us = market("US")
    warehouse = LocationFactory(code="us-east")
    variant = VariantFactory(sku="HOT-1")
    stock(variant, warehouse, 20)
    old = [
        services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_old_{i}")[0]
        for i in range(20)
    ]
    lapsed = [r.pk for r in old[:8]]
    Reservation.objects.filter(pk__in=lapsed).update(expires_at=timezone.now() - timedelta(1))

    ok, short, errors = together(
        30,
        lambda n: services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_{n}"),
        refusals=(InsufficientStock,),
    )

    assert errors == []
    assert (len(ok), len(short)) == (8, 22)
    level = StockLevel.objects.get()
    assert (level.on_hand, level.reserved, level.atp) == (20, 20, 0)
    assert sorted(
        Reservation.objects.filter(status=ReservationStatus.EXPIRED).values_list("pk", flat=True)
    ) == sorted(lapsed)
    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() == 20


@pytest.mark.django_db(transaction=True)
def test_a_market_found_to_need_routing_skips_the_statement_for_a_while(
    variant, warehouse, us, monkeypatch
):
    """The statement learns a market has several locations and steps aside; the market is then
    remembered, so the next reservations go straight to routing (one statement fewer each),
    until ROUTED_MARKET_SECONDS have passed."""
    second = LocationFactory(code="us-west", country="US", priority=20)
    stock(variant, warehouse, 10)
    stock(variant, second, 10)

    def one_statement_tries(ctx):
        return sum("reserve_one_settings" in sql for sql in _statements(ctx))

    with CaptureQueriesContext(connection) as first:
        services.reserve_stock(lines={variant: 1}, market=us, owner="cart_1")
    with CaptureQueriesContext(connection) as then:
        services.reserve_stock(lines={variant: 1}, market=us, owner="cart_2")
    assert (one_statement_tries(first), one_statement_tries(then)) == (1, 0)

    second.is_active = False  # one location again: the statement serves once the memory lapses
    second.save(update_fields=["is_active"])
    later = reservation_services.time.monotonic() + reservation_services.ROUTED_MARKET_SECONDS
    monkeypatch.setattr(reservation_services.time, "monotonic", lambda: later + 1)
    with CaptureQueriesContext(connection) as lapsed:
        services.reserve_stock(lines={variant: 1}, market=us, owner="cart_3")
    assert one_statement_tries(lapsed) == 1
    assert len(_statements(lapsed)) == 1  # reserved by the statement alone
    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() == 3
