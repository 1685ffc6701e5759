"""The fraud review queue, the thresholds and the kill switches in the admin (Operations)."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from orders.models import FraudThreshold, Order, OrderStatus
from shop.models import KillSwitch, KillSwitchChange
from tests.factories.inventory import market
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:orders_fraudassessment_changelist")


@pytest.fixture
def ops(operations_user):
    client = Client()
    client.force_login(operations_user)
    return client


@pytest.fixture
def held(stocked):
    order = place(
        checkout_ready_cart(lines=[(stocked, 1)], email="risky@example.com"), "tok_risky"
    )
    assert order.status == OrderStatus.ON_HOLD
    return order


def test_the_queue_lists_orders_waiting_for_review_with_their_reasons(ops, held, stocked):
    place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_visa")  # scored, not held

    response = ops.get(QUEUE)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [row.order_id for row in rows] == [held.pk]
    assert "gateway_score +73" in response.content.decode()


def test_approving_from_the_queue_places_the_order(ops, held):
    row = held.fraud_assessment

    response = ops.post(
        QUEUE, {"action": "approve_selected", "_selected_action": [row.pk]}, follow=True
    )

    assert Order.objects.get(pk=held.pk).status == OrderStatus.PLACED
    assert any("Approved" in str(m) for m in get_messages(response.wsgi_request))


def test_rejecting_from_the_queue_cancels_and_voids(ops, held):
    ops.post(QUEUE, {"action": "reject_selected", "_selected_action": [held.fraud_assessment.pk]})

    order = Order.objects.get(pk=held.pk)
    assert (order.status, order.payment_status) == ("cancelled", "voided")


def test_a_decision_on_an_order_no_longer_held_is_a_message(ops, held):
    row = held.fraud_assessment
    ops.post(QUEUE, {"action": "approve_selected", "_selected_action": [row.pk]})

    response = ops.post(
        QUEUE + "?review=all",
        {"action": "reject_selected", "_selected_action": [row.pk]},
        follow=True,
    )

    assert Order.objects.get(pk=held.pk).status == OrderStatus.PLACED
    assert any("cannot" in str(m) for m in get_messages(response.wsgi_request))


def test_the_order_page_shows_the_score_and_its_reasons(ops, held):
    page = ops.get(reverse("admin:orders_order_change", args=[held.pk])).content.decode()

    assert "Fraud check" in page
    assert "<strong>73</strong> / 100 (holds above 70)" in page
    assert "the payment gateway scored the payment 92/100" in page


def test_operations_set_a_market_threshold(ops):
    us = market("US")
    url = reverse("admin:orders_fraudthreshold_add")

    response = ops.post(url, {"market": us.pk, "hold_above": "85"})
    refused = ops.post(url, {"market": us.pk, "hold_above": "101"})

    assert response.status_code == 302
    assert FraudThreshold.objects.get(market=us).hold_above == 85
    assert refused.status_code == 200 and refused.context["adminform"].form.errors


def test_a_kill_switch_flipped_in_the_admin_keeps_who_when_why(ops, operations_user):
    url = reverse("admin:shop_killswitch_add")

    added = ops.post(
        url,
        {"kind": "shipping_method", "target": "express", "is_off": "on", "reason": "storm"},
    )
    unknown = ops.post(
        url, {"kind": "shipping_method", "target": "teleport", "is_off": "on", "reason": "x"}
    )
    switch = KillSwitch.objects.get()
    back_on = ops.post(
        reverse("admin:shop_killswitch_change", args=[switch.pk]),
        {"reason": "carrier back"},
    )

    assert added.status_code == 302
    assert unknown.status_code == 200 and "teleport" in unknown.content.decode()
    assert back_on.status_code == 302, back_on.content.decode()[-2000:]
    history = list(KillSwitchChange.objects.values_list("is_off", "reason", "changed_by"))
    assert history == [
        (False, "carrier back", operations_user.pk),
        (True, "storm", operations_user.pk),
    ]


def test_a_kill_switch_needs_a_reason(ops):
    response = ops.post(
        reverse("admin:shop_killswitch_add"),
        {"kind": "checkout", "target": "", "is_off": "on", "reason": ""},
    )

    assert response.status_code == 200
    assert KillSwitch.objects.count() == 0
