"""What the checkout pages share: the steps, where a visitor may be, the card on file.

Steps in order: identify -> address -> shipping -> payment -> review (then the order page).
A step can be revisited any time; a later step than the first incomplete one sends the
visitor back to that one. Entering a step is logged through orders' record_checkout_step
(CheckoutStepEvent: abandonment per step is counted from those rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import selectors as order_selectors
from orders.links import order_link_token
from orders.models import Cart, CheckoutStep, Order, OrderStatus
from storefront import carts

STEPS = (
    (CheckoutStep.IDENTIFY, gettext_lazy("Contact")),
    (CheckoutStep.ADDRESS, gettext_lazy("Address")),
    (CheckoutStep.SHIPPING, gettext_lazy("Shipping")),
    (CheckoutStep.PAYMENT, gettext_lazy("Payment")),
    (CheckoutStep.REVIEW, gettext_lazy("Review")),
)
STEP_NAMES = [name for name, _label in STEPS]


def posted(request):
    """The POST data to bind a form to (an empty POST too: its fields are then missing)."""
    return request.POST if request.method == "POST" else None


def step_url(step: str) -> str:
    return f"/checkout/{step}/"


def card_on_file(request, cart: Cart) -> order_selectors.CardOnFile | None:
    """The card chosen on the payment step for this cart in this browser: its gateway token
    and last four digits (the number itself is never kept). Kept on the cart
    (orders.services.set_checkout_card), for the session that entered it only."""
    return order_selectors.card_on_file(cart, session_key=request.session.session_key)


def first_incomplete_step(request, cart: Cart) -> str:
    if not cart.email:
        return CheckoutStep.IDENTIFY
    if not cart.shipping_address:
        return CheckoutStep.ADDRESS
    if cart.shipping_method_id is None:
        return CheckoutStep.SHIPPING
    if card_on_file(request, cart) is None:
        return CheckoutStep.PAYMENT
    return CheckoutStep.REVIEW


@dataclass(frozen=True)
class StepLink:
    name: str
    label: str
    url: str
    state: str  # "done", "current", "open" (may be visited), "locked"


def step_links(request, cart: Cart, current: str) -> list[StepLink]:
    reachable = STEP_NAMES.index(first_incomplete_step(request, cart))
    links = []
    for index, (name, label) in enumerate(STEPS):
        if name == current:
            state = "current"
        elif index < reachable:
            state = "done"
        elif index == reachable:
            state = "open"
        else:
            state = "locked"
        links.append(StepLink(name, str(label), step_url(name), state))
    return links


def order_page_url(request, order: Order) -> str:
    """The order's page for the buyer in front of us: a customer's own order page, or the
    signed link a guest sees their order through (the same one the e-mail carries)."""
    user = request.user
    if order.customer_id and user.is_authenticated and user.pk == order.customer_id:
        return f"/orders/{order.public_id}/"
    return f"/orders/{order.public_id}/?token={order_link_token(order)}"


def after_payment(request, order: Order):
    """Where the buyer goes once the gateway answered: a declined card back to the payment
    step (the order waits there for another card), anything else to the order's page."""
    if order.status == OrderStatus.PAYMENT_FAILED:
        messages.error(
            request,
            _(
                "Your card was declined and nothing was charged. "
                "Please try another card or contact your bank."
            ),
        )
        return redirect(step_url(CheckoutStep.PAYMENT))
    return redirect(order_page_url(request, order))


def checked_out(request, cart: Cart):
    """The answer for a checkout page asked for a cart that is already an order."""
    order = getattr(cart, "order", None)
    if order is None:
        carts.forget_cart(request, cart)
        return redirect("/cart/")
    if order.status == OrderStatus.PAYMENT_FAILED:
        return redirect(step_url(CheckoutStep.PAYMENT))
    return redirect(order_page_url(request, order))
