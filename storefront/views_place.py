"""Placing the order from the review page, and paying again after a declined card.

Placement is orders.services.place_order with an idempotency key made of the cart and the
key the review page was drawn with: a double click or a resubmit after going back runs
into the order the first submit placed (one cart, one key, one order) and shows it. A
declined card leaves the order `payment_failed`; the buyer lands on the payment step, where
another card pays for that same order (orders.services.retry_payment).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory.exceptions import InsufficientStock
from orders import conf, switches
from orders import selectors as order_selectors
from orders import services as order_services
from orders.exceptions import (
    CartNotFound,
    CartNotOpen,
    CheckoutDisabled,
    CheckoutIncomplete,
    EmptyCart,
    InvalidOrderTransition,
    InvalidShippingMethod,
    PaymentMethodUnavailable,
    PriceChanged,
    ShippingMethodUnavailable,
    VariantUnavailable,
)
from orders.models import Cart, CheckoutStep, Order
from orders.providers.tax.base import TaxUnavailable
from shop.auth import client_ip
from shop.exceptions import DomainError
from storefront import carts
from storefront.checkout_flow import (
    after_payment,
    card_on_file,
    checked_out,
    posted,
    step_url,
)
from storefront.forms_checkout import CardForm, PlaceOrderForm
from storefront.next_page import answers_with_next_page
from storefront.order_display import order_lines, order_summary
from storefront.views_cart import stock_message

CLOSED = _("We are not taking orders for the moment; please try again a little later.")


def placement_key(cart: Cart, page_key: str) -> str:
    """The idempotency key of a submit of the review page drawn with `page_key`."""
    return f"storefront:{cart.public_id}:{page_key}"


@answers_with_next_page
@require_POST
def place_order(request):
    """Place the order of the review page (POST from its form)."""
    form = PlaceOrderForm(request.POST)
    cart = carts.session_cart(request)
    if not form.is_valid() or cart is None or cart.public_id != form.cleaned_data["cart"]:
        messages.error(request, _("Your cart changed in the meantime. Please review it again."))
        return redirect("/cart/" if cart is None else step_url(CheckoutStep.REVIEW))
    if not cart.is_open:
        # A second submit of the same page (or one from another tab) after the first one
        # placed the order: show that order.
        return checked_out(request, cart)
    if not conf.checkout_enabled(cart.market):
        messages.error(request, CLOSED)
        return redirect(step_url(CheckoutStep.REVIEW))
    card = card_on_file(request, cart)
    if card is None:
        messages.error(request, _("Enter your card details."))
        return redirect(step_url(CheckoutStep.PAYMENT))
    order_services.record_checkout_step(cart=cart, step=CheckoutStep.SUBMIT)
    try:
        order = order_services.place_order(
            cart=cart,
            payment_token=card.token,
            customer=request.user,
            idempotency_key=placement_key(cart, form.cleaned_data["checkout_key"]),
            actor=request.user,
            client_ip=client_ip(request),
        )
    except DomainError as exc:
        return _refused(request, cart, exc)
    carts.note_checked_out(request)  # whatever the card said, the cart is the order's now
    return after_payment(request, order)


def _refused(request, cart: Cart, exc: DomainError):
    """Back to the page that can put it right, saying what is wrong; nothing was placed."""
    if isinstance(exc, PriceChanged):
        # The review page takes the new prices into the cart and lists each change.
        messages.error(
            request, _("Prices changed. Please check the new total and place the order again.")
        )
        return redirect(step_url(CheckoutStep.REVIEW))
    if isinstance(exc, InsufficientStock):
        messages.error(request, stock_message(exc))
        return redirect("/cart/")
    if isinstance(exc, VariantUnavailable | EmptyCart):
        messages.error(request, str(exc))
        return redirect("/cart/")
    if isinstance(exc, CheckoutDisabled):
        messages.error(request, CLOSED)
        return redirect(step_url(CheckoutStep.REVIEW))
    if isinstance(exc, ShippingMethodUnavailable):
        messages.error(
            request, _("That shipping method is not available at the moment; choose another.")
        )
        return redirect(step_url(CheckoutStep.SHIPPING))
    if isinstance(exc, PaymentMethodUnavailable):
        messages.error(request, str(exc))
        return redirect(step_url(CheckoutStep.PAYMENT))
    if isinstance(exc, InvalidShippingMethod):
        messages.error(request, _("Your shipping method no longer ships there; choose another."))
        return redirect(step_url(CheckoutStep.SHIPPING))
    if isinstance(exc, CheckoutIncomplete):
        messages.error(request, str(exc))
        return redirect("/checkout/")
    if isinstance(exc, CartNotOpen | CartNotFound):
        fresh = carts.session_cart(request)
        return checked_out(request, fresh) if fresh else redirect("/cart/")
    if isinstance(exc, TaxUnavailable):
        messages.error(
            request,
            _(
                "We cannot calculate the tax right now, so nothing was charged. "
                "Please try again in a moment."
            ),
        )
        return redirect(step_url(CheckoutStep.REVIEW))
    messages.error(request, str(exc))
    return redirect(step_url(CheckoutStep.REVIEW))


def retry_payment_page(request, cart: Cart, order: Order):
    """The payment step of an order whose card was declined: another card pays for it."""
    form = CardForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if not conf.checkout_enabled(order.market):
            form.add_error(None, CLOSED)
        elif not switches.payment_method_open("card"):
            form.add_error(None, str(PaymentMethodUnavailable("card")))
        else:
            try:
                order = order_services.retry_payment(
                    order=order, payment_token=form.token, actor=request.user
                )
            except InvalidOrderTransition:
                # Paid or cancelled meanwhile (a second submit): the order page says which.
                fresh = carts.session_cart(request)
                return checked_out(request, fresh) if fresh else redirect("/cart/")
            except InsufficientStock as exc:
                form.add_error(
                    None,
                    _("Sorry, this order can no longer be completed: %(detail)s")
                    % {"detail": stock_message(exc)},
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                return after_payment(request, order)
    order = order_selectors.refresh_order(order)
    return render(
        request,
        "storefront/checkout/retry.html",
        {
            "form": form,
            "order": order,
            "lines": order_lines(order),
            "summary": order_summary(order),
        },
    )
