"""Checkout steps as pages: contact, shipping address, shipping method, payment, review.

Each page validates on the server: the form checks what was typed, the orders service the
rules, and a refusal is shown on the form and changes nothing. Placing the order and paying
again after a declined card are in storefront/views_place.py.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from orders import conf, switches
from orders import services as order_services
from orders.exceptions import (
    CartNotOpen,
    CheckoutIncomplete,
    InvalidShippingMethod,
    ShippingMethodUnavailable,
)
from orders.models import CheckoutStep, OrderStatus, ShippingMethod
from orders.pricing import load_cart_lines
from shop.exceptions import DomainError
from storefront import carts
from storefront.cart_display import build_cart_page, build_current_cart_page, hint_cart_stock
from storefront.checkout_flow import (
    STEP_NAMES,
    card_on_file,
    checked_out,
    first_incomplete_step,
    posted,
    step_links,
    step_url,
)
from storefront.forms_checkout import (
    AddressForm,
    CardForm,
    ContactForm,
    PlaceOrderForm,
    ShippingMethodForm,
    add_service_errors,
)
from storefront.next_page import answers_with_next_page
from storefront.views_place import retry_payment_page

MAX_METHOD_CODE = ShippingMethod._meta.get_field("code").max_length

TEMPLATES = {step: f"storefront/checkout/{step}.html" for step in STEP_NAMES}


class _Leave(Exception):
    """Leave this step for another page (the response says where)."""

    def __init__(self, response):
        self.response = response


_UNREAD = object()


def _checkout_cart(request, step: str, cart=_UNREAD):
    """The visitor's cart if they may be on `step`, else raise _Leave with where to go.
    `cart`: the session's cart, when the view read it already."""
    if cart is _UNREAD:
        cart = carts.saved_cart(request) or carts.session_cart(request)
    if cart is None:
        raise _Leave(redirect("/cart/"))
    if not cart.is_open:
        raise _Leave(checked_out(request, cart))
    # Read once here; the page's summary and the header's count use the same lines.
    if cart.lines_read is None:
        cart.lines_read = load_cart_lines(cart)
    if not cart.lines_read:
        messages.info(request, _("Your cart is empty."))
        raise _Leave(redirect("/cart/"))
    hint_cart_stock(cart)
    carts.note_item_count(request, cart)
    reachable = first_incomplete_step(request, cart)
    if STEP_NAMES.index(step) > STEP_NAMES.index(reachable):
        raise _Leave(redirect(step_url(reachable)))
    return cart


def _page(request, cart, step: str, context: dict, *, page=None):
    if request.method == "GET":
        order_services.record_checkout_step(cart=cart, step=step)
    page = page or build_cart_page(cart)
    return render(
        request,
        TEMPLATES[step],
        {
            "cart": cart,
            "page": page,
            "steps": step_links(request, cart, step),
            "step": step,
            **context,
        },
    )


def _next(request, cart):
    return redirect(step_url(first_incomplete_step(request, cart)))


def _go_on(request, saved, read, step: str):
    """Redirect to `step` after this one saved the cart (`saved`: the service's cart; `read`:
    the one this request read, whose lines it keeps: no step before review changes them)."""
    if saved.lines_read is None:
        saved.lines_read = read.lines_read
    carts.keep_saved_cart(request, saved)
    return redirect(step_url(step))


@require_safe
def checkout_start(request):
    """`/checkout/`: the first step that still needs something."""
    try:
        cart = _checkout_cart(request, CheckoutStep.IDENTIFY)
    except _Leave as leave:
        return leave.response
    return _next(request, cart)


def _refused(request, exc: DomainError):
    if isinstance(exc, CartNotOpen):
        cart = carts.session_cart(request)
        return checked_out(request, cart) if cart else redirect("/cart/")
    messages.error(request, str(exc))
    return redirect("/cart/")


@answers_with_next_page
@require_http_methods(["GET", "HEAD", "POST"])
def identify(request):
    """Step 1: the e-mail for the confirmation (guests), or sign in / sign up and come back."""
    try:
        cart = _checkout_cart(request, CheckoutStep.IDENTIFY)
    except _Leave as leave:
        return leave.response
    user = request.user
    initial = {"email": cart.email or (user.email if user.is_authenticated else "")}
    form = ContactForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = order_services.set_checkout_contact(
                cart=cart, email=form.cleaned_data["email"], enter_step=CheckoutStep.ADDRESS
            )
        except CartNotOpen as exc:
            return _refused(request, exc)
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            return _go_on(request, saved, cart, CheckoutStep.ADDRESS)
    return _page(request, cart, CheckoutStep.IDENTIFY, {"form": form, "next": "/checkout/"})


@answers_with_next_page
@require_http_methods(["GET", "HEAD", "POST"])
def address(request):
    """Step 2: the shipping address, validated for its country by the service."""
    try:
        cart = _checkout_cart(request, CheckoutStep.ADDRESS)
    except _Leave as leave:
        return leave.response
    form = AddressForm(
        posted(request), initial=_address_initial(request, cart), market=cart.market
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = order_services.set_shipping_address(
                cart=cart, address=form.cleaned_data, enter_step=CheckoutStep.SHIPPING
            )
        except CartNotOpen as exc:
            return _refused(request, exc)
        except DomainError as exc:
            add_service_errors(form, exc, prefix="shipping_address.")
        else:
            return _go_on(request, saved, cart, CheckoutStep.SHIPPING)
    return _page(request, cart, CheckoutStep.ADDRESS, {"form": form})


def _address_initial(request, cart) -> dict:
    if cart.shipping_address:
        return dict(cart.shipping_address)
    user = request.user
    name = user.get_full_name() if user.is_authenticated else ""
    return {"name": name, "country": (cart.market.countries or [""])[0]}


@answers_with_next_page
@require_http_methods(["GET", "HEAD", "POST"])
def shipping(request):
    """Step 3: a shipping method among those that ship this cart to the address."""
    try:
        cart = _checkout_cart(request, CheckoutStep.SHIPPING)
    except _Leave as leave:
        return leave.response
    refusal = ""
    code = request.POST.get("method", "") if request.method == "POST" else ""
    if code and len(code) <= MAX_METHOD_CODE:
        # The service checks the choice against the cart's own options under its lock (as
        # it does for the API): a good choice costs no pricing of the page it leaves.
        try:
            saved = order_services.set_shipping_method(
                cart=cart, code=code, enter_step=CheckoutStep.PAYMENT
            )
        except CartNotOpen as exc:
            return _refused(request, exc)
        except (InvalidShippingMethod, CheckoutIncomplete, ShippingMethodUnavailable) as exc:
            refusal = str(exc)
        else:
            return _go_on(request, saved, cart, CheckoutStep.PAYMENT)
    page = build_cart_page(cart)
    options = page.pricing.quote.shipping_options
    chosen = page.pricing.quote.shipping_option
    form = ShippingMethodForm(
        posted(request),
        options=options,
        initial={"method": chosen.code if chosen else (options[0].code if options else "")},
    )
    if request.method == "POST" and form.is_valid() and refusal:
        form.add_error("method", refusal)
    return _page(
        request,
        cart,
        CheckoutStep.SHIPPING,
        {"form": form, "options": options, "chosen": chosen},
        page=page,
    )


@answers_with_next_page
@require_http_methods(["GET", "HEAD", "POST"])
def payment(request):
    """Step 4: the card. Its number becomes the gateway's token here and is not kept; the
    token is kept on the cart for this browser session (orders.services.set_checkout_card).

    After a declined card the order waits on this page for another card (views_place).
    """
    # A cart the shipping step has just saved is open: it has no order waiting for a card.
    cart = carts.saved_cart(request)
    if cart is None:
        cart = carts.session_cart(request)
        order = getattr(cart, "order", None) if cart is not None else None
        if order is not None and order.status == OrderStatus.PAYMENT_FAILED:
            return retry_payment_page(request, cart, order)
    try:
        cart = _checkout_cart(request, CheckoutStep.PAYMENT, cart)
    except _Leave as leave:
        return leave.response
    form = CardForm(posted(request))
    card_open = switches.payment_method_open("card")  # a kill switch hides the card form
    if request.method == "POST" and card_open and form.is_valid():
        try:
            saved = order_services.set_checkout_card(
                cart=cart,
                token=form.token,
                last4=form.last4,
                session_key=request.session.ensure_key(),
                enter_step=CheckoutStep.REVIEW,
            )
        except CartNotOpen as exc:
            return _refused(request, exc)
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            return _go_on(request, saved, cart, CheckoutStep.REVIEW)
    return _page(
        request,
        cart,
        CheckoutStep.PAYMENT,
        {"form": form, "card": card_on_file(request, cart), "card_open": card_open},
    )


@require_safe
def review(request):
    """Step 5: everything on one page at today's prices, and the place-order button.

    Prices that changed since the items were added are taken into the cart here and listed
    on the page ("price changed from $X to $Y"), never applied silently. The form carries
    a key made for this page: submitting it twice (a double click, or back and submit
    again) finds the order the first submit placed.
    """
    try:
        cart = _checkout_cart(request, CheckoutStep.REVIEW)
        page = build_current_cart_page(cart)
    except _Leave as leave:
        return leave.response
    except CartNotOpen as exc:
        return _refused(request, exc)
    form = PlaceOrderForm(
        initial={"cart": cart.public_id, "checkout_key": secrets.token_urlsafe(24)}
    )
    return _page(
        request,
        cart,
        CheckoutStep.REVIEW,
        {
            "form": form,
            "card": card_on_file(request, cart),
            "checkout_enabled": conf.checkout_enabled(cart.market),
        },
        page=page,
    )
