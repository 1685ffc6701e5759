"""The orders admin for Operations: finding orders, the read-only order page, and the buttons
that call the services (shown only when the state machine and the user's role allow them)."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel
from orders import services
from orders.models import Order, OrderEvent, OrderStatus, PaymentStatus, PaymentTransaction
from orders.providers.payments.base import GatewayError
from orders.providers.payments.dummy import DummyGateway
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import market, stock
from tests.factories.orders import ADDRESSES, checkout_ready_cart, place

pytestmark = pytest.mark.django_db
S, P = OrderStatus, PaymentStatus
CHANGELIST = reverse("admin:orders_order_changelist")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ops(operations_user):
    return client_for(operations_user)


@pytest.fixture
def finance(finance_user):
    return client_for(finance_user)


@pytest.fixture
def order(stocked):
    """Placed and authorized: 2 × TEE-RED-M for ada@example.com."""
    return place(checkout_ready_cart(lines=[(stocked, 2)], email="ada@example.com"))


def page_url(order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def act_url(order, action: str) -> str:
    return reverse("admin:orders_order_act", args=[order.pk, action])


def listed(response) -> list[str]:
    return [o.reference for o in response.context["cl"].result_list]


def buttons(response) -> list[str]:
    return [action.name for action in response.context["order_actions"]]


def shown_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def submit(client, order, action: str, **fields):
    """Open the action's confirm page, then send its form (with `fields` typed in)."""
    page = client.get(act_url(order, action))
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(fields)
    return client.post(act_url(order, action), data)


def snapshot(order) -> dict:
    """Everything an action changes, without the ids that differ between two orders."""
    order = Order.objects.get(pk=order.pk)
    return {
        "states": (order.status, order.payment_status),
        "money": (order.authorized_cents, order.captured_cents, order.refunded_total_cents),
        "cancel_reason": order.cancel_reason,
        "events": [
            (e.type, e.from_status, e.to_status, e.from_payment_status, e.to_payment_status)
            for e in order.events.all()
        ],
        "actors": [e.actor_id for e in order.events.all()],
        "transactions": list(order.transactions.values_list("kind", "outcome", "amount_cents")),
    }


# --- the changelist -------------------------------------------------------------------------


def test_operations_see_every_order_newest_first(ops, stocked):
    first = place(checkout_ready_cart(lines=[(stocked, 1)]))
    second = place(checkout_ready_cart(lines=[(stocked, 1)]))

    response = ops.get(CHANGELIST)

    assert response.status_code == 200
    assert listed(response) == [second.reference, first.reference]
    # $25.00 + $5.99 shipping + 4 % New York tax on both
    assert response.content.decode().count("$32.23") == 2


def test_filters_by_status_payment_status_market_and_placed_date(ops, stocked, order):
    declined = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_declined")

    def filtered(query):
        return listed(ops.get(f"{CHANGELIST}?{query}"))

    assert filtered("status__exact=payment_failed") == [declined.reference]
    assert filtered("payment_status__exact=authorized") == [order.reference]
    assert filtered(f"market__id__exact={market('US').pk}") == [
        declined.reference,
        order.reference,
    ]
    assert filtered(f"market__id__exact={market('CA').pk}") == []
    assert filtered("placed_at__isnull=True") == [declined.reference]
    assert filtered("placed_at__isnull=False") == [order.reference]


@pytest.mark.parametrize(
    "term",
    [
        lambda o: o.public_id,
        lambda o: o.reference,
        lambda o: o.reference.lower(),
        lambda o: "ada@example.com",
        lambda o: "ada@exa",
        lambda o: "tee-red-m",
    ],
    ids=["order id", "reference", "reference lower case", "e-mail", "part of e-mail", "sku"],
)
def test_search_finds_an_order_by_id_reference_email_or_sku(ops, warehouse, order, term):
    other = VariantFactory(sku="MUG-BLUE")
    stock(other, warehouse, 5)
    place(checkout_ready_cart(lines=[(other, 1)], email="grace@example.com"))

    response = ops.get(CHANGELIST, {"q": term(order)})

    assert listed(response) == [order.reference]


def test_an_order_with_several_matching_lines_is_listed_once(ops, stocked, warehouse):
    blue = VariantFactory(sku="TEE-BLUE-M")
    stock(blue, warehouse, 5)
    order = place(checkout_ready_cart(lines=[(stocked, 1), (blue, 1)]))

    assert listed(ops.get(CHANGELIST, {"q": "TEE"})) == []  # SKUs match exactly
    assert listed(ops.get(CHANGELIST, {"q": "tee-blue-m"})) == [order.reference]


def _changelist_queries(client, query="") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{CHANGELIST}{query}").status_code == 200
    return len(queries)


def test_the_changelist_costs_the_same_queries_for_2_or_6_orders(ops, stocked):
    for _ in range(2):
        place(checkout_ready_cart(lines=[(stocked, 1)]))
    _changelist_queries(ops)  # the first request of a process also reads content types
    few = _changelist_queries(ops)
    few_searched = _changelist_queries(ops, "?q=TEE-RED-M")
    for _ in range(4):
        place(checkout_ready_cart(lines=[(stocked, 1)]))
    # Warm again: placing takes long enough under load for the one-second caches (kill
    # switches) to lapse, and a lapsed cache's read is not what this test counts.
    _changelist_queries(ops)

    assert _changelist_queries(ops) == few
    assert _changelist_queries(ops, "?q=TEE-RED-M") == few_searched
    assert few <= 10


# --- the order page -------------------------------------------------------------------------


def test_the_order_page_shows_lines_addresses_payments_and_timeline(ops, order):
    response = ops.get(page_url(order))
    html = response.content.decode()

    assert response.status_code == 200
    for text in [
        order.public_id,
        "TEE-RED-M",
        "$25.00",  # unit price
        "$52.00",  # total: 2 × $25.00, free shipping from $50, 4 % New York tax
        ADDRESSES["US"]["line1"],
        "10118 New York",
        "authorize",  # the payment transaction
        "order.created",
        "payment.authorized",
        "pending_payment → placed",
        "unpaid → authorized",
    ]:
        assert text in html, text
    assert 'name="_save"' not in html  # read-only: nothing to save
    assert buttons(response) == ["capture", "void", "cancel", "cancel_lines"]


def _page_queries(client, order) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(order)).status_code == 200
    return len(queries)


def test_the_order_page_costs_the_same_queries_for_1_or_3_lines(ops, stocked, warehouse):
    others = [VariantFactory(sku=f"CAP-{n}") for n in range(2)]
    for variant in others:
        stock(variant, warehouse, 5)
    small = place(checkout_ready_cart(lines=[(stocked, 1)]))
    large = place(checkout_ready_cart(lines=[(stocked, 1), *((v, 1) for v in others)]))
    for order in (small, large):
        services.capture_payment(order=order)
    services.refund_payment(order=large, amount_cents=100)  # more events and transactions

    _page_queries(ops, small)  # the first request of a process also reads content types
    assert _page_queries(ops, large) == _page_queries(ops, small)


def test_orders_cannot_be_added_edited_or_deleted(ops, order):
    before = snapshot(order)

    assert ops.get(reverse("admin:orders_order_add")).status_code == 403
    assert ops.post(page_url(order), {"email": "x@example.com"}).status_code == 403
    assert ops.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403
    assert (
        ops.post(
            reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert snapshot(order) == before
    assert Order.objects.get(pk=order.pk).email == "ada@example.com"


def test_order_events_cannot_be_changed_or_deleted(ops, order):
    event = order.events.first()
    change = reverse("admin:orders_orderevent_change", args=[event.pk])
    delete = reverse("admin:orders_orderevent_delete", args=[event.pk])

    assert ops.get(reverse("admin:orders_orderevent_changelist")).status_code == 200
    assert ops.get(change).status_code == 200  # a read-only view
    assert ops.post(change, {"type": "order.cancelled"}).status_code == 403
    assert ops.post(delete, {"post": "yes"}).status_code == 403
    assert ops.get(reverse("admin:orders_orderevent_add")).status_code == 403
    assert OrderEvent.objects.get(pk=event.pk).type == "order.created"


def test_a_merchandiser_may_not_see_orders(merchandiser, order):
    client = client_for(merchandiser)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(page_url(order)).status_code == 403
    assert client.get(act_url(order, "capture")).status_code == 403
    assert client.get(reverse("admin:orders_orderevent_changelist")).status_code == 403


# --- which buttons ----------------------------------------------------------------------------


def test_an_unpaid_order_offers_cancel_only(ops, stocked):
    declined = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_declined")

    assert buttons(ops.get(page_url(declined))) == ["cancel"]


def test_a_captured_order_offers_cancel_to_operations_and_refund_to_finance(ops, finance, order):
    services.capture_payment(order=order)

    assert buttons(ops.get(page_url(order))) == ["cancel", "cancel_lines"]
    assert buttons(finance.get(page_url(order))) == ["refund"]


def test_a_cancelled_order_offers_nothing(ops, order):
    services.cancel_order(order=order, reason="test")

    assert buttons(ops.get(page_url(order))) == []


def test_an_order_on_hold_offers_the_review_decisions(ops, order):
    services.hold_order_for_review(order=order)

    assert buttons(ops.get(page_url(order))) == [
        "void",
        "approve_review",
        "reject_review",
    ]


def test_a_user_without_the_permission_sees_no_button_and_is_refused(finance, order):
    response = finance.get(page_url(order))

    assert response.status_code == 200  # Finance reads orders
    assert buttons(response) == []
    assert 'id="order-action-' not in response.content.decode()
    assert finance.get(act_url(order, "capture")).status_code == 403
    assert finance.post(act_url(order, "cancel"), {"reason": "x"}).status_code == 403
    assert Order.objects.get(pk=order.pk).status == S.PLACED


def test_an_unknown_action_is_404(ops, order):
    assert ops.get(act_url(order, "ship")).status_code == 404
    assert ops.get(act_url(order, "place")).status_code == 404


# --- what the buttons do: exactly what the services do ----------------------------------------


def test_capture_through_the_admin_is_the_capture_service(ops, operations_user, stocked, order):
    twin = place(checkout_ready_cart(lines=[(stocked, 2)], email="ada@example.com"))
    services.capture_payment(order=twin, actor=operations_user)

    response = submit(ops, order, "capture")

    assert response.status_code == 302
    assert response.url == page_url(order)
    assert snapshot(order) == snapshot(twin)
    assert snapshot(order)["states"] == (S.PLACED, P.CAPTURED)
    assert snapshot(order)["money"] == (5200, 5200, 0)
    assert shown_messages(response) == [
        f"Order {order.reference}: payment captured (placed, payment captured)."
    ]


def test_a_partial_capture_takes_the_amount_typed(ops, order):
    submit(ops, order, "capture", amount="20.50")

    assert snapshot(order)["money"] == (5200, 2050, 0)


def test_void_through_the_admin_is_the_void_service(ops, operations_user, stocked, order):
    twin = place(checkout_ready_cart(lines=[(stocked, 2)], email="ada@example.com"))
    services.void_payment(order=twin, actor=operations_user)

    submit(ops, order, "void")

    assert snapshot(order) == snapshot(twin)
    assert snapshot(order)["states"] == (S.PLACED, P.VOIDED)


def test_cancel_through_the_admin_is_the_cancel_service(ops, operations_user, stocked, order):
    twin = place(checkout_ready_cart(lines=[(stocked, 2)], email="ada@example.com"))
    services.cancel_order(order=twin, actor=operations_user, reason="customer called")

    response = submit(ops, order, "cancel", reason="customer called")

    assert snapshot(order) == snapshot(twin)
    assert snapshot(order)["states"] == (S.CANCELLED, P.VOIDED)
    assert snapshot(order)["cancel_reason"] == "customer called"
    assert StockLevel.objects.get(variant=stocked).reserved == 0
    assert shown_messages(response) == [
        f"Order {order.reference}: order cancelled (cancelled, payment voided)."
    ]


def test_cancel_needs_a_reason(ops, order):
    before = snapshot(order)

    response = submit(ops, order, "cancel", reason="")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert snapshot(order) == before


def test_finance_refunds_part_of_a_capture(finance, finance_user, order):
    services.capture_payment(order=order)

    submit(finance, order, "refund", amount="10.00", reason="scratched")

    after = snapshot(order)
    assert after["states"] == (S.PLACED, P.PARTIALLY_REFUNDED)
    assert after["money"] == (5200, 5200, 1000)
    assert after["transactions"][-1] == ("refund", "succeeded", 1000)
    assert order.events.last().actor_id == finance_user.pk


def test_rejecting_a_review_cancels_and_voids(ops, stocked, order):
    services.hold_order_for_review(order=order)

    submit(ops, order, "reject_review", reason="stolen card")

    assert snapshot(order)["states"] == (S.CANCELLED, P.VOIDED)
    assert order.events.get(type="fraud.rejected").payload == {"reason": "stolen card"}
    assert StockLevel.objects.get(variant=stocked).reserved == 0


def test_approving_a_review_places_the_order_again(ops, order):
    services.hold_order_for_review(order=order)

    submit(ops, order, "approve_review")

    assert snapshot(order)["states"] == (S.PLACED, P.AUTHORIZED)


# --- refusals: a message, and nothing written -------------------------------------------------


def test_a_gateway_refusing_the_capture_is_a_message_and_changes_nothing(ops, order, monkeypatch):
    def refuse(self, **kwargs):
        raise GatewayError("card issuer unavailable")

    monkeypatch.setattr(DummyGateway, "capture", refuse)
    before = snapshot(order)

    response = submit(ops, order, "capture")

    assert snapshot(order) == before
    assert shown_messages(response) == [
        f"{order.reference}: The payment provider refused the capture: card issuer unavailable"
    ]


def test_a_capture_above_the_authorization_is_refused_by_the_service(ops, order):
    before = snapshot(order)

    response = submit(ops, order, "capture", amount="60.00")

    assert snapshot(order) == before
    assert shown_messages(response) == [f"{order.reference}: Capture between 1 and 5200."]


@pytest.mark.parametrize("amount", ["abc", "1.234", "", "-5"])
def test_an_amount_that_is_not_money_is_a_form_error(ops, order, amount):
    before = snapshot(order)

    response = submit(ops, order, "capture", amount=amount)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["amount"]
    assert snapshot(order) == before


def test_an_action_no_longer_allowed_is_refused_with_a_message(ops, stocked):
    declined = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_declined")
    before = snapshot(declined)

    response = ops.post(act_url(declined, "capture"), {"state": "x", "nonce": "0" * 32})

    assert response.status_code == 302
    assert snapshot(declined) == before
    assert shown_messages(response) == [
        f"Capture payment is not possible for order {declined.reference} now (it is payment "
        "failed, payment failed): nothing was done."
    ]


def test_a_page_opened_before_the_order_moved_on_does_nothing(ops, order):
    page = ops.get(act_url(order, "capture"))
    form = page.context["form"]
    stale = {name: form[name].value() or "" for name in form.fields}
    services.capture_payment(order=order, amount_cents=1000)  # a colleague, meanwhile
    before = snapshot(order)

    response = ops.post(act_url(order, "capture"), stale)

    assert snapshot(order) == before
    assert shown_messages(response) == [
        f"Capture payment is not possible for order {order.reference} now (it is placed, "
        "payment captured): nothing was done."
    ]


def test_a_double_submitted_refund_refunds_once(finance, order):
    services.capture_payment(order=order)
    page = finance.get(act_url(order, "refund"))
    form = page.context["form"]
    data = {**{name: form[name].value() or "" for name in form.fields}, "amount": "5.00"}

    finance.post(act_url(order, "refund"), data)
    second = finance.post(act_url(order, "refund"), data)

    assert snapshot(order)["money"] == (5200, 5200, 500)
    assert PaymentTransaction.objects.filter(order=order, kind="refund").count() == 1
    assert "changed while the page was open" in shown_messages(second)[-1]


def test_the_event_log_filters_by_type(ops, order):
    services.capture_payment(order=order)

    response = ops.get(reverse("admin:orders_orderevent_changelist"), {"type": "payment.captured"})

    assert [e.type for e in response.context["cl"].result_list] == ["payment.captured"]
    assert ("payment.void_failed", "payment.void_failed") in response.context["cl"].filter_specs[
        0
    ].lookup_choices


def test_cancelling_some_items_through_the_admin_is_the_lines_service(ops, stocked, order):
    services.capture_payment(order=order)
    line = order.lines.get()

    response = submit(
        ops, order, "cancel_lines", reason="damaged in stock", **{f"line_{line.public_id}": "1"}
    )

    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, line.quantity_cancelled) == (S.PLACED, 1)
    assert order.refunded_total_cents == order.total_cents // 2
    assert StockLevel.objects.get(variant=stocked).reserved == 1
    assert shown_messages(response)[0].startswith(f"Order {order.reference}: items cancelled")


@pytest.mark.parametrize("typed", ["0", "3", "-1", "x"])
def test_cancelling_no_items_or_too_many_is_a_form_error(ops, order, typed):
    line = order.lines.get()
    before = snapshot(order)

    response = submit(ops, order, "cancel_lines", reason="r", **{f"line_{line.public_id}": typed})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot(order) == before
