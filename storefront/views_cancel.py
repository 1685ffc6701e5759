"""The customer's "Cancel order": a confirm page, then orders.services.cancel_order.

Whoever may see the order page (its signed-in customer, or a guest holding its signed link)
may cancel it while nothing has shipped (orders.services.customer_may_cancel); anyone else
gets the order page's 404. The POST needs the CSRF token; a refusal (shipped meanwhile, a
double submit) comes back as a message on the order page, never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders import selectors as order_selectors
from orders import services as order_services
from orders.exceptions import OrderNotFound
from shop.exceptions import DomainError
from storefront.checkout_flow import order_page_url


def _order_for(request, public_id: str):
    token = request.GET.get("token", "") or request.POST.get("token", "")
    try:
        if token:
            return order_selectors.get_linked_order(public_id=public_id, token=token[:200])
        if request.user.is_authenticated:
            return order_selectors.get_customer_order(customer=request.user, public_id=public_id)
    except OrderNotFound:
        raise Http404("No such order.") from None
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def cancel_order(request, public_id: str):
    """`/orders/<ord_id>/cancel/`: are you sure? — then cancel, void or refund, release."""
    order = _order_for(request, public_id)
    if order is None:
        return redirect_to_login(request.get_full_path())
    back = order_page_url(request, order)
    if not order_services.customer_may_cancel(order):
        messages.error(request, _("This order can no longer be cancelled here; contact us."))
        return redirect(back)
    if request.method == "POST":
        actor = request.user if request.user.is_authenticated else None
        try:
            order_services.cancel_order(
                order=order, actor=actor, reason="cancelled by the customer", by_customer=True
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Your order is cancelled. We have sent you an e-mail about it.")
            )
        return redirect(back)
    return render(
        request,
        "storefront/account/cancel.html",
        {"order": order, "back": back, "token": request.GET.get("token", "")[:200]},
    )
