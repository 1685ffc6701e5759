"""The customer's account (order history) and an order's page with its timeline.

An order is shown to its customer, signed in, or to whoever holds its signed link (how a
guest sees their order: the confirmation page and e-mail carry it). Anyone else gets a 404,
never a hint that the order exists.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from orders import selectors as order_selectors
from orders import services as order_services
from orders.exceptions import OrderNotFound
from orders.models import OrderStatus
from storefront.order_display import (
    order_lines,
    order_shipments,
    order_summary,
    payment_label,
    status_message,
    timeline,
)

ORDERS_PER_PAGE = 20
# An order page waiting for the gateway reloads itself until the answer is in.
REFRESH_SECONDS = 3


@require_safe
@login_required
def account(request):
    """`/account/`: who is signed in and their orders, newest first."""
    orders = order_selectors.list_customer_orders(customer=request.user)
    page_obj = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "storefront/account/index.html", {"orders": page_obj, "page_obj": page_obj}
    )


@require_safe
def order_detail(request, public_id: str):
    """`/orders/<ord_id>/`: the confirmation after checkout, and the order's status page."""
    token = request.GET.get("token", "")
    try:
        if token:
            order = order_selectors.get_linked_order(public_id=public_id, token=token)
        elif request.user.is_authenticated:
            order = order_selectors.get_customer_order(customer=request.user, public_id=public_id)
        else:
            return redirect_to_login(request.get_full_path())
    except OrderNotFound:
        raise Http404("No such order.") from None
    waiting = order.status == OrderStatus.PENDING_PAYMENT
    return render(
        request,
        "storefront/account/order.html",
        {
            "order": order,
            "lines": order_lines(order),
            "summary": order_summary(order),
            "timeline": timeline(order),
            "shipments": order_shipments(order),
            "status_message": status_message(order),
            "payment_label": payment_label(order),
            "refresh_seconds": REFRESH_SECONDS if waiting else None,
            "is_confirmed": order.status == OrderStatus.PLACED,
            "may_cancel": order_services.customer_may_cancel(order),
        },
    )
