"""Kill switches: who/when/why history, the checks checkout makes, and a flip reaching another
process at once (shop.kill_switches: one shared cache key, dropped when the flip commits)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from inventory.models import OPEN_STATUSES, Reservation
from orders import switches
from orders.exceptions import CheckoutDisabled, PaymentMethodUnavailable
from orders.models import Order
from shop import kill_switches
from shop.exceptions import ValidationFailed
from shop.models import KillSwitch, KillSwitchChange
from shop.services import set_kill_switch
from tests.orders.api_support import (
    add_line,
    checkout,
    client_for,
    footprint,
    new_cart,
    place,
    ready_cart,
)

pytestmark = pytest.mark.django_db


def test_a_flip_records_who_when_and_why(operations_user):
    set_kill_switch(
        kind="shipping_method",
        target="express",
        is_off=True,
        reason="carrier down",
        actor=operations_user,
    )
    set_kill_switch(kind="shipping_method", target="express", is_off=False, reason="carrier back")

    switch = KillSwitch.objects.get(kind="shipping_method", target="express")
    history = list(switch.changes.values_list("is_off", "reason", "changed_by"))
    assert switch.is_off is False and switch.reason == "carrier back"
    assert history == [(False, "carrier back", None), (True, "carrier down", operations_user.pk)]


@pytest.mark.parametrize(
    ("kind", "target", "reason", "field"),
    [
        ("coffee", "x", "why", "kind"),
        ("shipping_method", "", "why", "target"),
        ("shipping_method", "teleport", "why", "target"),
        ("market", "ZZ", "why", "target"),
        ("payment_method", "cash", "why", "target"),
        ("checkout", "", "", "reason"),
        ("checkout", "", "x" * 256, "reason"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(kind, target, reason, field):
    with pytest.raises(ValidationFailed) as refused:
        set_kill_switch(kind=kind, target=target, is_off=True, reason=reason)

    assert field in refused.value.fields
    assert KillSwitch.objects.count() == KillSwitchChange.objects.count() == 0


def test_market_codes_are_case_insensitive_and_checkout_has_no_target():
    set_kill_switch(kind="market", target="ca", is_off=True, reason="tax outage")
    set_kill_switch(kind="checkout", target="ignored", is_off=False, reason="all good")

    assert kill_switches.switched_off() == {("market", "CA")}
    assert switches.checkout_open("US") and not switches.checkout_open("CA")
    assert KillSwitch.objects.get(kind="checkout").target == ""


def test_checkout_checks_each_kind(us):
    assert switches.checkout_open(us)
    set_kill_switch(kind="payment_method", target="card", is_off=True, reason="gateway incident")

    with pytest.raises(PaymentMethodUnavailable) as refused:
        switches.refuse_switched_off_payment("card")
    assert (refused.value.status_code, refused.value.code) == (422, "payment_method_unavailable")

    set_kill_switch(kind="checkout", is_off=True, reason="incident")
    with pytest.raises(CheckoutDisabled):
        switches.refuse_closed_checkout(us)


def test_with_the_cache_down_the_database_answers(monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    set_kill_switch(kind="checkout", is_off=True, reason="incident")
    dead = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    monkeypatch.setattr("shop.kill_switches.cache", dead)

    assert not switches.checkout_open()
    set_kill_switch(kind="checkout", is_off=False, reason="over")  # the flip itself still works
    assert switches.checkout_open()


def test_the_switched_off_set_is_cached_for_a_second_at_most():
    from django.core.cache import cache

    kill_switches.switched_off()
    key = cache.make_key(kill_switches.SWITCHES_CACHE_KEY)

    assert 0 < cache._cache.get_client(key).pttl(key) <= 1000


# --- Another process sees a flip at once ---------------------------------------------------

WORKER = """
import sys, django
django.setup()
from orders import switches
from orders.providers import shipping_provider
from orders.providers.shipping.base import ShippingRequest
request = ShippingRequest(currency="USD", country="US", region="NY", postal_code="10001",
                          weight_grams=100, goods_cents=1000)
for line in sys.stdin:
    codes = ",".join(o.code for o in shipping_provider().rates(request))
    print(("open" if switches.checkout_open("US") else "closed") + " " + codes, flush=True)
"""


@pytest.fixture
def other_process():
    """A second Django process on the same database and Redis, answering one line per ask."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{**connection.settings_dict, "PORT": connection.settings_dict["PORT"] or 5432}
        ),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def ask() -> str:
        worker.stdin.write("?\n")
        worker.stdin.flush()
        return worker.stdout.readline().strip()

    yield ask
    worker.stdin.close()
    worker.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_flip_reaches_another_process_on_its_next_check(other_process):
    before = other_process()

    set_kill_switch(kind="shipping_method", target="express", is_off=True, reason="carrier down")
    after_shipping = other_process()
    set_kill_switch(kind="checkout", is_off=True, reason="incident")
    after_checkout = other_process()
    set_kill_switch(kind="checkout", is_off=False, reason="over")

    assert "express" in before.split()[1].split(",")
    assert after_shipping.startswith("open ") and "express" not in after_shipping.split()[1]
    assert after_checkout.startswith("closed ")
    assert other_process().startswith("open ")


# --- Through the API and the storefront -----------------------------------------------------


@pytest.fixture
def buyer(customer):
    return client_for(customer)


def test_a_switched_off_shipping_method_is_not_offered_and_choosing_it_is_422(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    set_kill_switch(kind="shipping_method", target="express", is_off=True, reason="carrier down")

    offered = checkout(buyer, cart_id, method=None).json()["shipping_rates"]
    chosen = checkout(buyer, cart_id, method="express")

    assert [rate["code"] for rate in offered] == ["standard"]
    assert chosen.status_code == 422
    assert chosen.json()["code"] == "shipping_method_unavailable"
    assert "express" in chosen.json()["detail"]


def test_placing_a_cart_whose_method_was_switched_off_is_422_and_places_nothing(
    buyer, stocked, us
):
    cart_id = new_cart(buyer)["id"]
    add_line(buyer, cart_id, "TEE-RED-M", 1)
    assert checkout(buyer, cart_id, method="express").status_code == 200
    set_kill_switch(kind="shipping_method", target="express", is_off=True, reason="carrier down")
    before = footprint()

    response = place(buyer, cart_id)

    assert (response.status_code, response.json()["code"]) == (422, "shipping_method_unavailable")
    assert footprint() == {**before, "idempotency_keys": footprint()["idempotency_keys"]}
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "target", "status", "code"),
    [
        ("checkout", "", 503, "checkout_disabled"),
        ("market", "US", 503, "checkout_disabled"),
        ("payment_method", "card", 422, "payment_method_unavailable"),
    ],
)
def test_placing_while_switched_off_is_refused(buyer, stocked, us, kind, target, status, code):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    set_kill_switch(kind=kind, target=target, is_off=True, reason="incident")

    response = place(buyer, cart_id)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert Order.objects.count() == 0
    assert Reservation.objects.filter(status__in=OPEN_STATUSES).count() == 0


def test_another_market_still_sells_when_one_is_switched_off(buyer, stocked, us):
    set_kill_switch(kind="market", target="CA", is_off=True, reason="tax outage")
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])

    assert place(buyer, cart_id).status_code == 201


def test_paying_again_with_card_payments_switched_off_is_422(buyer, stocked, us):
    declined = place(buyer, ready_cart(buyer, [("TEE-RED-M", 1)]), "tok_declined").json()
    set_kill_switch(kind="payment_method", target="card", is_off=True, reason="gateway incident")

    response = buyer.post(
        "/api/v1/payments",
        {"order": declined["order_id"], "action": "authorize", "token": "tok_visa"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-1",
    )

    assert (response.status_code, response.json()["code"]) == (422, "payment_method_unavailable")
    assert Order.objects.get(public_id=declined["order_id"]).status == "payment_failed"
