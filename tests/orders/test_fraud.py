"""Fraud review (issue 10): the documented score (a pure function, table-driven), the
assessment recorded at placement, on_hold above the market's threshold, and Operations'
approve / reject."""

import pytest
from django.test import override_settings

from inventory.models import StockLevel
from orders import services
from orders.exceptions import InvalidOrderTransition
from orders.fraud import RiskSignals, score_order
from orders.models import FraudAssessment, Order, OrderEvent, OrderStatus, PaymentStatus
from orders.services import fraud as fraud_services
from shop.exceptions import ValidationFailed
from tests.factories.inventory import market
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
S, P = OrderStatus, PaymentStatus
BASE = {"total_cents": 5_000, "billing_country": "US", "shipping_country": "US"}


@pytest.mark.parametrize(
    ("signals", "score", "codes"),
    [
        ({}, 0, []),
        ({"gateway_score": 5}, 4, ["gateway_score"]),
        ({"gateway_score": 92}, 73, ["gateway_score"]),
        ({"gateway_score": 250}, 80, ["gateway_score"]),  # a gateway's score is 0-100
        ({"orders_last_hour_same_email": 1}, 0, []),
        ({"orders_last_hour_same_email": 2}, 10, ["velocity_email"]),
        ({"orders_last_hour_same_email": 5}, 25, ["velocity_email"]),
        ({"orders_last_hour_same_ip": 2}, 0, []),
        ({"orders_last_hour_same_ip": 3}, 10, ["velocity_ip"]),
        ({"orders_last_hour_same_ip": 10}, 25, ["velocity_ip"]),
        ({"orders_last_hour_same_card": 2}, 15, ["velocity_card"]),
        ({"orders_last_hour_same_card": 7}, 30, ["velocity_card"]),
        ({"low_value_orders_last_hour": 2}, 0, []),
        ({"low_value_orders_last_hour": 3}, 20, ["many_low_value"]),
        ({"billing_country": "de"}, 15, ["country_mismatch"]),
        ({"billing_country": ""}, 0, []),  # unknown billing country: no mismatch
        ({"previous_orders": 3, "previous_average_cents": 1_000}, 0, []),  # 5× exactly
        ({"previous_orders": 3, "previous_average_cents": 999}, 20, ["above_history"]),
        ({"total_cents": 100_000}, 10, ["first_large_order"]),
        ({"total_cents": 99_999}, 0, []),
        (
            {
                "orders_last_hour_same_email": 5,
                "orders_last_hour_same_card": 5,
                "low_value_orders_last_hour": 9,
                "gateway_score": 92,
            },
            100,  # capped
            ["velocity_email", "velocity_card", "many_low_value", "gateway_score"],
        ),
    ],
)
def test_the_score_is_the_sum_of_the_documented_rules(signals, score, codes):
    result = score_order(RiskSignals(**{**BASE, **signals}))

    assert result.score == score
    assert [reason.code for reason in result.reasons] == codes
    assert all(reason.detail for reason in result.reasons)


def test_the_threshold_is_exclusive():
    result = score_order(RiskSignals(**BASE, gateway_score=92))  # 73 points

    assert result.holds_at(72) and not result.holds_at(73)


# --- At placement ----------------------------------------------------------------------------


def test_a_risky_card_lands_on_hold_with_its_reasons(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]), "tok_risky")

    assert (order.status, order.payment_status) == (S.ON_HOLD, P.AUTHORIZED)
    assessment = FraudAssessment.objects.get(order=order)
    assert (assessment.score, assessment.hold_above, assessment.held) == (73, 70, True)
    assert [r["code"] for r in assessment.reasons] == ["gateway_score"]
    event = OrderEvent.objects.get(order=order, type="fraud.review_required")
    assert event.payload["score"] == 73 and event.actor_label == "fraud check"
    assert StockLevel.objects.get(variant=stocked).reserved == 2  # stock stays held
    assert order.captured_cents == 0


def test_a_held_order_is_not_captured_and_does_not_ship(stocked, warehouse):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_risky")

    with pytest.raises(InvalidOrderTransition):
        services.capture_payment(order=order)

    with pytest.raises(InvalidOrderTransition):
        services.create_shipment(order=order, location=warehouse, lines={order.lines.get(): 1})
    with pytest.raises(InvalidOrderTransition):
        services.ship_order_lines(order=order)


def test_approving_places_it_again_and_it_ships(stocked, warehouse, operations_user):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_risky")

    approved = fraud_services.approve_review(order=order, actor=operations_user)
    shipment = services.create_shipment(
        order=approved, location=warehouse, lines={order.lines.get(): 1}
    )
    services.ship_shipment(shipment=shipment, carrier="ups", tracking_number="1ZAPPROVED")

    assert Order.objects.get(pk=order.pk).status == S.FULFILLED


def test_rejecting_cancels_voids_and_releases(stocked, operations_user):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]), "tok_risky")

    rejected = fraud_services.reject_review(order=order, actor=operations_user, reason="stolen")

    assert (rejected.status, rejected.payment_status) == (S.CANCELLED, P.VOIDED)
    assert StockLevel.objects.get(variant=stocked).reserved == 0
    with pytest.raises(InvalidOrderTransition):
        fraud_services.approve_review(order=order, actor=operations_user)


@override_settings(ORDERS_CAPTURE_POLICY={"default": "at_placement"})
def test_capture_at_placement_waits_for_the_review(stocked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_risky")
    assert Order.objects.get(pk=order.pk).captured_cents == 0

    approved = fraud_services.approve_review(order=order)

    assert (approved.payment_status, approved.captured_cents) == (P.CAPTURED, order.total_cents)


def test_a_good_card_is_scored_and_placed(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_visa")

    assessment = FraudAssessment.objects.get(order=order)
    assert order.status == S.PLACED
    assert (assessment.score, assessment.held) == (4, False)
    assert len(assessment.card_fingerprint) == 40


def test_velocity_from_one_email_counts_other_orders_and_declines(stocked):
    us = market("US")
    fraud_services.set_fraud_threshold(market=us, hold_above=10)
    first = place(checkout_ready_cart(lines=[(stocked, 1)], email="rush@example.com"), "tok_visa")
    place(checkout_ready_cart(lines=[(stocked, 1)], email="rush@example.com"), "tok_declined")

    third = place(checkout_ready_cart(lines=[(stocked, 1)], email="RUSH@example.com"), "tok_visa")

    assert first.status == S.PLACED
    reasons = FraudAssessment.objects.get(order=third).reasons
    assert "velocity_email" in {r["code"] for r in reasons}  # the decline counted too
    assert Order.objects.get(pk=third.pk).status == S.ON_HOLD


def test_a_market_threshold_above_the_score_lets_a_risky_card_through(stocked):
    fraud_services.set_fraud_threshold(market=market("US"), hold_above=95)

    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_risky")

    assert order.status == S.PLACED
    assert FraudAssessment.objects.get(order=order).hold_above == 95


@pytest.mark.parametrize("value", [-1, 101, "70", None, True, 7.5])
def test_a_threshold_outside_0_to_100_is_refused(value):
    with pytest.raises(ValidationFailed):
        fraud_services.set_fraud_threshold(market=market("US"), hold_above=value)


def test_the_client_ip_is_recorded_and_a_bad_one_ignored(stocked):
    cart = checkout_ready_cart(lines=[(stocked, 1)])
    good = services.place_order(
        cart=cart, payment_token="tok_visa", idempotency_key="ip-1", client_ip="203.0.113.9"
    )
    cart = checkout_ready_cart(lines=[(stocked, 1)])
    bad = services.place_order(
        cart=cart, payment_token="tok_visa", idempotency_key="ip-2", client_ip="<script>"
    )

    assert FraudAssessment.objects.get(order=good).client_ip == "203.0.113.9"
    assert FraudAssessment.objects.get(order=bad).client_ip is None


def test_the_last_hour_counts_stop_at_the_cap_and_the_reason_says_so(variant, warehouse):
    from orders.fraud import VELOCITY_COUNT_CAP
    from tests.factories.inventory import stock

    stock(variant, warehouse, 100)
    stocked = variant
    for n in range(VELOCITY_COUNT_CAP + 3):
        cart = checkout_ready_cart(lines=[(stocked, 1)], email=f"crowd-{n}@example.com")
        services.place_order(
            cart=cart,
            payment_token="tok_visa",
            idempotency_key=f"cgn-{n}",
            client_ip="198.51.100.7",
        )
    fraud_services.set_fraud_threshold(market=market("US"), hold_above=100)
    cart = checkout_ready_cart(lines=[(stocked, 1)], email="last@example.com")
    last = services.place_order(
        cart=cart, payment_token="tok_visa", idempotency_key="cgn-last", client_ip="198.51.100.7"
    )
    risk = fraud_services.CheckoutRisk(client_ip="198.51.100.7")

    signals, _threshold = fraud_services.gather_signals(last, risk=risk, gateway_score=None)

    # 28 other orders from the address: counted to the cap, which the rules never need past.
    assert signals.orders_last_hour_same_ip == VELOCITY_COUNT_CAP
    assert signals.orders_last_hour_same_email == 0
    reasons = {r["code"]: r for r in FraudAssessment.objects.get(order=last).reasons}
    assert reasons["velocity_ip"]["points"] == 25
    assert reasons["velocity_ip"]["detail"] == (
        f"{VELOCITY_COUNT_CAP} or more other orders from this IP address in the last hour"
    )


def test_counts_under_the_cap_are_exact(stocked):
    for n in range(3):
        cart = checkout_ready_cart(lines=[(stocked, 1)], email="again@example.com")
        services.place_order(
            cart=cart, payment_token="tok_visa", idempotency_key=f"ex-{n}", client_ip="192.0.2.1"
        )
    last = Order.objects.order_by("-pk").first()
    risk = fraud_services.CheckoutRisk(client_ip="192.0.2.1")

    signals, _threshold = fraud_services.gather_signals(last, risk=risk, gateway_score=None)

    assert (signals.orders_last_hour_same_ip, signals.orders_last_hour_same_email) == (2, 2)
