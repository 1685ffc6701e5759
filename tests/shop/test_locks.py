"""shop.locks.lock_rows on real PostgreSQL: pk order, a bounded wait, a clear 409."""

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from inventory import services
from inventory.models import Reservation, StockLevel, StockMovement
from shop.api.errors import exception_handler
from shop.compiled import CompiledQuery
from shop.locks import LockTimeout, lock_compiled, lock_rows
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

WAIT = 30  # seconds a thread waits for the other before the test gives up (never reached)


class HeldLock:
    """A second thread that locks `queryset`'s rows and keeps them until released."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.locked = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                lock_rows(self.queryset)
                self.locked.set()
                self.release.wait(WAIT)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.locked.set()
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(WAIT)
        assert self.error is None
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(WAIT)
        assert self.error is None


@pytest.fixture
def stocked(db):
    variant = VariantFactory(sku="LOCK-1")
    stock(variant, LocationFactory(code="us-east"), 10)
    return variant


@pytest.mark.django_db
def test_rows_come_back_in_primary_key_order(stocked):
    others = [LocationFactory(code=f"loc-{i}") for i in range(3)]
    for location in reversed(others):
        stock(stocked, location, 1)

    with transaction.atomic():
        rows = lock_rows(StockLevel.objects.order_by("-on_hand"), timeout_ms=100)

    assert [r.pk for r in rows] == sorted(StockLevel.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)  # no test-wide transaction around it
def test_outside_a_transaction_is_refused(stocked):
    with pytest.raises(transaction.TransactionManagementError):
        lock_rows(StockLevel.objects.all())


@pytest.mark.django_db(transaction=True)  # no test-wide transaction around it
def test_the_timeout_lasts_until_the_transaction_ends(stocked):
    with transaction.atomic(), connection.cursor() as cursor:
        lock_rows(StockLevel.objects.all(), timeout_ms=50)
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("50ms",)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() != ("50ms",)


def _timeouts_set(ctx) -> int:
    return sum("set_config('lock_timeout'" in q["sql"] for q in ctx.captured_queries)


def _lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_timeout_is_set_once_per_transaction_and_again_where_it_could_be_undone(stocked):
    rows = StockLevel.objects.all()
    with CaptureQueriesContext(connection) as ctx:
        with transaction.atomic():
            lock_rows(rows, timeout_ms=70)
            lock_rows(rows, timeout_ms=70)  # still in force: no second SET
            assert _timeouts_set(ctx) == 1
            lock_rows(rows, timeout_ms=80)  # another value is set
            assert (_timeouts_set(ctx), _lock_timeout()) == (2, "80ms")
            try:
                with transaction.atomic():
                    lock_rows(rows, timeout_ms=90)
                    raise RuntimeError("roll the savepoint back")
            except RuntimeError:
                pass
            # The savepoint's rollback undid its SET LOCAL: 80 ms again, and set again.
            assert _lock_timeout() == "80ms"
            lock_rows(rows, timeout_ms=90)
            assert (_timeouts_set(ctx), _lock_timeout()) == (4, "90ms")
        with transaction.atomic():  # a new transaction starts from the session's default
            lock_rows(rows, timeout_ms=90)
            assert (_timeouts_set(ctx), _lock_timeout()) == (5, "90ms")


@pytest.mark.django_db(transaction=True)
def test_a_held_row_gives_lock_timeout_and_rolls_the_transaction_back(stocked):
    level = StockLevel.objects.get()
    other = stock(VariantFactory(sku="LOCK-2"), level.location, 3)

    with (
        HeldLock(StockLevel.objects.filter(pk=level.pk)),
        pytest.raises(LockTimeout) as refused,
        transaction.atomic(),
    ):
        StockLevel.objects.filter(pk=other.pk).update(safety_stock=1)
        lock_rows(StockLevel.objects.filter(pk=level.pk), timeout_ms=50)

    assert (refused.value.code, refused.value.status_code) == ("lock_timeout", 409)
    assert refused.value.detail == (
        "Another request is changing the same records right now; try again in a moment."
    )
    assert list(StockLevel.objects.values_list("safety_stock", flat=True)) == [0, 0]


@pytest.mark.django_db(transaction=True)
def test_reserving_a_locked_row_times_out_and_writes_nothing(stocked, settings):
    settings.DB_LOCK_TIMEOUT_MS = 100
    us = market("US")

    with HeldLock(StockLevel.objects.all()), pytest.raises(LockTimeout):
        services.reserve_stock(lines={stocked: 2}, market=us, owner="cart_1")

    assert not Reservation.objects.exists()
    assert list(StockLevel.objects.values_list("on_hand", "reserved")) == [(10, 0)]
    # Once the lock is gone the same call goes through.
    services.reserve_stock(lines={stocked: 2}, market=us, owner="cart_1")
    assert StockLevel.objects.get().reserved == 2


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_409_lock_timeout_while_a_row_is_held(stocked, operations_user, settings):
    settings.DB_LOCK_TIMEOUT_MS = 100
    client = APIClient()
    client.force_authenticate(operations_user)
    body = {"sku": "LOCK-1", "location": "us-east", "delta": -2, "reason": "broken"}

    with HeldLock(StockLevel.objects.all()):
        response = client.post("/api/v1/inventory/adjustments", body, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "lock_timeout",
        "detail": "Another request is changing the same records right now; try again in a moment.",
    }
    assert StockLevel.objects.get().on_hand == 10
    assert StockMovement.objects.count() == 1  # the receipt only


@pytest.mark.django_db(transaction=True)
def test_a_lock_wait_cut_short_outside_lock_rows_is_a_409_too(stocked):
    level = StockLevel.objects.get()

    with (
        HeldLock(StockLevel.objects.filter(pk=level.pk)),
        pytest.raises(OperationalError) as raw,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL lock_timeout = '50ms'")
        list(StockLevel.objects.select_for_update().filter(pk=level.pk))

    response = exception_handler(raw.value, {})
    assert (response.status_code, response.data["code"]) == (409, "lock_timeout")


LEVEL_FOR_UPDATE = CompiledQuery(
    lambda pk: StockLevel.objects.filter(pk=pk).select_for_update().order_by("pk"), pk=int
)


@pytest.mark.django_db(transaction=True)
def test_a_compiled_lock_waits_as_long_and_refuses_the_same_way(stocked):
    level = StockLevel.objects.get()
    with transaction.atomic():
        (locked,) = lock_compiled(LEVEL_FOR_UPDATE, pk=level.pk, timeout_ms=50)
        assert (locked.pk, _lock_timeout()) == (level.pk, "50ms")

    other = stock(VariantFactory(sku="LOCK-2"), level.location, 3)
    with (
        HeldLock(StockLevel.objects.filter(pk=level.pk)),
        pytest.raises(LockTimeout),
        transaction.atomic(),
    ):
        StockLevel.objects.filter(pk=other.pk).update(safety_stock=1)
        lock_compiled(LEVEL_FOR_UPDATE, pk=level.pk, timeout_ms=50)
    # The transaction was rolled back: the other row's change is gone too.
    assert list(StockLevel.objects.values_list("safety_stock", flat=True)) == [0, 0]

    with pytest.raises(transaction.TransactionManagementError):
        lock_compiled(LEVEL_FOR_UPDATE, pk=level.pk)
    with pytest.raises(ValueError), transaction.atomic():
        lock_compiled(LEVEL_FOR_UPDATE, pk=level.pk, timeout_ms=0)
