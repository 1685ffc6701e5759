"""The cart: add from the product page, change quantities, remove lines, see the totals.

Thin views (STYLE.md section 5): parse the form, call orders' cart services, render. A
refusal is a message or a field error, and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from inventory.exceptions import DropBusy, InsufficientStock, SoldOut
from orders import services as order_services
from orders.exceptions import CartLineNotFound, CartNotOpen
from orders.services.coupons import apply_cart_coupon, remove_cart_coupon
from shop.exceptions import DomainError
from shop.redirects import safe_next_path
from storefront import carts, views_drop
from storefront.cart_display import build_current_cart_page
from storefront.checkout_flow import first_incomplete_step, step_url
from storefront.forms_cart import AddToCartForm, CartLineForm
from storefront.next_page import answers_with_next_page

CART_URL = "/cart/"


def stock_message(exc: InsufficientStock) -> str:
    """A shopper's reading of an InsufficientStock refusal."""
    parts = []
    for line in exc.lines:
        if line.get("available", 0) <= 0:
            parts.append(_("%(sku)s is out of stock.") % {"sku": line["sku"]})
        else:
            parts.append(
                _("Only %(count)d of %(sku)s left.")
                % {"count": line["available"], "sku": line["sku"]}
            )
    return " ".join(parts) or str(exc)


def _back(request) -> str:
    """Where the add-to-cart form came from (its `next`), if that is one of our pages."""
    return safe_next_path(request, request.POST.get("next", "")) or CART_URL


@answers_with_next_page
@require_POST
def cart_add(request):
    """Add a variant to the visitor's cart (opened on first use), then show the cart."""
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    quantity = form.cleaned_data["quantity"]
    try:
        line = carts.add_to_cart(
            request,
            sku=form.cleaned_data["sku"],
            quantity=quantity,
            queue_ticket=views_drop.queue_ticket(request),
        )
    except DropBusy as exc:  # drop mode, refused for load: a place in line
        return views_drop.send_to_waiting_room(
            request, exc, quantity=quantity, next_url=_back(request)
        )
    except SoldOut as exc:  # drop mode, refused for stock
        return views_drop.send_to_sold_out(exc)
    except InsufficientStock as exc:
        messages.error(request, stock_message(exc))
        return redirect(_back(request))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(_back(request))
    if line is None:
        messages.error(request, _("The shop is not taking orders right now."))
        return redirect(_back(request))
    request.session.pop(views_drop.WAIT_KEY, None)
    # The cart page drawn in this request (next_page) starts from the cart just saved; its
    # lines changed, so it reads them.
    line.cart.lines_read = None
    carts.keep_saved_cart(request, line.cart)
    messages.success(
        request,
        _("Added %(title)s to your cart.") % {"title": line.variant.product.title},
    )
    return redirect(CART_URL)


@require_safe
def cart_detail(request):
    """The cart priced now. A price that changed since a line was added is taken into the
    cart and said on the page ("price changed from $X to $Y")."""
    return _render(request, carts.saved_cart(request) or carts.open_session_cart(request))


def _render(request, cart, *, line_id: str = "", form: CartLineForm | None = None, status=200):
    page = None
    if cart is not None:
        try:
            page = build_current_cart_page(cart)
        except CartNotOpen:
            carts.forget_cart(request, cart)
            cart = None
        else:
            carts.note_item_count(request, cart)
    return render(
        request,
        "storefront/cart/detail.html",
        {
            "page": page,
            "error_line": line_id,
            "error_form": form,
            # Straight to the step the cart needs next (what /checkout/ would redirect to).
            "checkout_url": step_url(first_incomplete_step(request, cart)) if page else "",
        },
        status=status,
    )


@require_POST
def cart_line_update(request, line_id: str):
    """Set a line's quantity (1–999); errors are shown on that line."""
    cart = carts.open_session_cart(request)
    if cart is None:
        return redirect(CART_URL)
    form = CartLineForm(request.POST)
    if form.is_valid():
        try:
            order_services.change_cart_line_quantity(
                cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"]
            )
        except CartLineNotFound:
            messages.error(request, _("That item is no longer in your cart."))
            return redirect(CART_URL)
        except InsufficientStock as exc:
            form.add_error("quantity", stock_message(exc))
        except DomainError as exc:
            form.add_error("quantity", str(exc))
        else:
            messages.success(request, _("Cart updated."))
            return redirect(CART_URL)
    return _render(request, cart, line_id=line_id, form=form)


@require_POST
def cart_line_remove(request, line_id: str):
    cart = carts.open_session_cart(request)
    if cart is not None:
        try:
            order_services.remove_cart_line(cart=cart, line_id=line_id)
        except CartLineNotFound:
            pass  # removed already (a second click): the cart shows what is left
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Item removed."))
    return redirect(CART_URL)


@require_POST
def cart_coupon(request):
    """Put a coupon code on the visitor's cart, or take one off (`remove`)."""
    cart = carts.open_session_cart(request)
    code = request.POST.get("code", "").strip()[:64]
    if cart is None or not code:
        messages.error(request, _("Enter a coupon code."))
        return redirect(CART_URL)
    try:
        if request.POST.get("remove"):
            remove_cart_coupon(cart=cart, code=code)
            messages.success(request, _("Code %(code)s removed.") % {"code": code.upper()})
        else:
            apply_cart_coupon(cart=cart, code=code)
            messages.success(request, _("Code %(code)s applied.") % {"code": code.upper()})
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(CART_URL)
