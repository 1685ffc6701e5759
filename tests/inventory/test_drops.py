"""Drop mode's writes (schedule, end, resync) and the admission gate's answers."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory import drop_gate
from inventory.exceptions import DropBusy, InsufficientStock, InvalidDrop, SoldOut
from inventory.models import Drop
from inventory.services import drops as drop_services
from tests.drop_support import clean_gate, start_drop  # noqa: F401 - fixture
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.shop import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_gate")]


@pytest.fixture
def variant():
    variant = VariantFactory(sku="DROP-1")
    stock(variant, LocationFactory(code="us-east"), 5)
    return variant


def _schedule(variant, **kwargs):
    values = {"variant": variant, "starts_at": timezone.now() + timedelta(hours=1)}
    return drop_services.schedule_drop(**{**values, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"starts_at": timezone.now() - timedelta(hours=2)}, "starts_at"),
        ({"starts_at": timezone.now() + timedelta(days=400)}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"per_order_limit": 0}, "per_order_limit"),
        ({"per_order_limit": -3}, "per_order_limit"),
        ({"per_customer_limit": 0}, "per_customer_limit"),
        ({"per_customer_limit": -1}, "per_customer_limit"),
        ({"per_customer_limit": 10**12}, "per_customer_limit"),
        ({"per_order_limit": True}, "per_order_limit"),
        ({"per_order_limit": "2"}, "per_order_limit"),
    ],
)
def test_schedule_drop_refuses_bad_input_and_writes_nothing(variant, kwargs, field):
    with pytest.raises(InvalidDrop) as refused:
        _schedule(variant, **kwargs)

    assert field in refused.value.fields
    assert refused.value.status_code == 400
    assert Drop.objects.count() == 0


def test_schedule_drop_needs_exactly_one_target(variant):
    with pytest.raises(InvalidDrop):
        _schedule(None)
    with pytest.raises(InvalidDrop):
        _schedule(variant, product=variant.product)

    assert Drop.objects.count() == 0


def test_a_second_open_drop_of_the_same_variant_is_refused(variant):
    _schedule(variant)

    with pytest.raises(InvalidDrop, match="already in an open drop"):
        _schedule(variant)

    assert Drop.objects.count() == 1


def test_changing_a_live_drop_keeps_its_past_start_and_refuses_a_new_past_one(variant):
    drop = start_drop(variant=variant)
    Drop.objects.filter(pk=drop.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    drop.refresh_from_db()

    changed = drop_services.schedule_drop(drop=drop, starts_at=drop.starts_at, per_order_limit=2)
    with pytest.raises(InvalidDrop):
        drop_services.schedule_drop(drop=drop, starts_at=drop.starts_at - timedelta(hours=1))

    assert changed.per_order_limit == 2
    drop.refresh_from_db()
    assert drop.per_order_limit == 2


def test_end_drop_takes_the_variant_out_and_is_idempotent(
    variant, django_capture_on_commit_callbacks
):
    drop = start_drop(variant=variant)
    rule = drop_gate.drop_rule_for("DROP-1")
    drop_gate.load_tokens(rule)

    with django_capture_on_commit_callbacks(execute=True):
        ended = drop_services.end_drop(drop=drop)
    again = drop_services.end_drop(drop=drop)

    assert ended.ended_at is not None and again.ended_at == ended.ended_at
    assert drop_gate.drop_rule_for("DROP-1") is None
    assert drop_gate.token_count(rule) is None  # its keys are gone


def test_a_product_drop_covers_every_variant_and_a_variant_drop_wins(variant):
    sibling = VariantFactory(sku="DROP-2", product=variant.product, option_key="other")
    product_drop = start_drop(product=variant.product)
    own = start_drop(variant=sibling, per_order=1)

    assert drop_gate.drop_rule_for("DROP-1").drop_id == product_drop.pk
    assert drop_gate.drop_rule_for("DROP-2").drop_id == own.pk
    assert drop_gate.drop_rule_for("DROP-2").per_order_limit == 1


def test_gate_loads_atp_then_takes_tokens_until_sold_out(variant):
    start_drop(variant=variant)
    rule = drop_gate.drop_rule_for("DROP-1")

    first = drop_gate.admit(rule, quantity=3, member="cart_a")
    first.leave(give_back=False)
    with pytest.raises(InsufficientStock) as short:
        drop_gate.admit(rule, quantity=3, member="cart_b")
    drop_gate.admit(rule, quantity=2, member="cart_c").leave(give_back=False)
    with pytest.raises(SoldOut):
        drop_gate.admit(rule, quantity=1, member="cart_d")

    assert short.value.lines == [{"sku": "DROP-1", "requested": 3, "available": 2}]
    assert drop_gate.token_count(rule) == 0


def test_gate_gives_tokens_back_when_the_database_work_fails(variant):
    start_drop(variant=variant)
    rule = drop_gate.drop_rule_for("DROP-1")

    drop_gate.admit(rule, quantity=2, member="cart_a").leave(give_back=True)

    assert drop_gate.token_count(rule) == 5


def test_busy_gate_queues_buyers_in_order_and_admits_the_first_when_a_place_frees(
    variant, settings
):
    settings.DROP_MAX_IN_FLIGHT = 1
    start_drop(variant=variant)
    rule = drop_gate.drop_rule_for("DROP-1")
    inside = drop_gate.admit(rule, quantity=1, member="cart_in")

    with pytest.raises(DropBusy) as first:
        drop_gate.admit(rule, quantity=1, member="cart_w1")
    with pytest.raises(DropBusy) as second:
        drop_gate.admit(rule, quantity=1, member="cart_w2")
    with pytest.raises(DropBusy) as first_again:
        drop_gate.admit(rule, quantity=1, member="cart_w1")
    inside.leave(give_back=False)
    with pytest.raises(DropBusy):
        drop_gate.admit(rule, quantity=1, member="cart_w2")  # w1 is ahead
    admitted = drop_gate.admit(rule, quantity=1, member="cart_w1")

    assert (first.value.position, second.value.position, first_again.value.position) == (1, 2, 1)
    assert first.value.status_code == 429 and first.value.retry_after == 1
    assert admitted.gated
    assert drop_gate.token_count(rule) == 3


def test_buyers_beyond_the_units_left_are_told_sold_out_not_to_wait(variant, settings):
    settings.DROP_MAX_IN_FLIGHT = 1
    start_drop(variant=variant)  # 5 units
    rule = drop_gate.drop_rule_for("DROP-1")
    drop_gate.admit(rule, quantity=1, member="cart_in")  # 4 tokens left, the flight is full
    positions = []
    for n in range(4):
        with pytest.raises(DropBusy) as busy:
            drop_gate.admit(rule, quantity=1, member=f"cart_w{n}")
        positions.append(busy.value.position)

    with pytest.raises(SoldOut):
        drop_gate.admit(rule, quantity=1, member="cart_late")

    assert positions == [1, 2, 3, 4]


def test_redis_down_takes_the_database_path(variant, settings):
    settings.DROP_GATE_REDIS_URL = "redis://127.0.0.1:6390/12"  # nothing listens there
    drop_gate.reset_client()
    start_drop(variant=variant)
    rule = drop_gate.drop_rule_for("DROP-1")

    admission = drop_gate.admit(rule, quantity=1, member="cart_a")
    admission.leave(give_back=False)

    assert not admission.gated
    assert drop_gate.token_count(rule) is None


def test_redis_down_and_no_stock_is_sold_out_from_one_read(settings):
    empty = VariantFactory(sku="DROP-EMPTY")
    settings.DROP_GATE_REDIS_URL = "redis://127.0.0.1:6390/12"
    drop_gate.reset_client()
    start_drop(variant=empty)

    with pytest.raises(SoldOut):
        drop_gate.admit(drop_gate.drop_rule_for("DROP-EMPTY"), quantity=1, member="cart_a")


def test_resync_sets_tokens_to_atp(variant):
    drop = start_drop(variant=variant)
    rule = drop_gate.drop_rule_for("DROP-1")
    drop_gate.admit(rule, quantity=2, member="cart_a").leave(give_back=False)

    loaded = drop_services.resync_drop_tokens(drop=drop)

    assert loaded == {"DROP-1": 5} and drop_gate.token_count(rule) == 5


# --- The admin: the change form saves through schedule_drop; refusals land on the fields ---


@pytest.fixture
def merch_client(db):
    from shop.roles import setup_roles

    setup_roles()
    client = Client()
    client.force_login(StaffFactory(email="merch@example.com", groups=["Merchandiser"]))
    return client


def _post_add(client, variant, **fields):
    start = timezone.localtime(timezone.now() + timedelta(hours=1))
    data = {
        "variant": variant.pk,
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "per_order_limit": "2",
        "per_customer_limit": "4",
        **fields,
    }
    return client.post(reverse("admin:inventory_drop_add"), data)


def test_admin_schedules_a_drop_through_the_service(merch_client, variant):
    response = _post_add(merch_client, variant)

    assert response.status_code == 302
    drop = Drop.objects.get()
    assert (drop.variant_id, drop.per_order_limit, drop.per_customer_limit) == (variant.pk, 2, 4)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"starts_at_0": "2020-01-01"}, "The start time is in the past."),
        ({"starts_at_0": "2099-01-01"}, "The start time is more than a year ahead."),
        ({"per_order_limit": "0"}, "at least 1"),
        ({"per_customer_limit": "-2"}, "at least 1"),
        ({"per_order_limit": "99999999999999"}, "less than or equal to"),
    ],
)
def test_admin_refuses_bad_start_times_and_limits_and_saves_nothing(
    merch_client, variant, fields, message
):
    response = _post_add(merch_client, variant, **fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Drop.objects.count() == 0
