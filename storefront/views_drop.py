"""Drop mode's pages: the waiting room (admission refused for load: a place in line, retried
by itself) and the sold-out page (refused for stock). Thin views: the gate decides
(inventory.drop_gate through orders' add_cart_line); these only show its answer.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog.models import Variant

WAIT_KEY = "_drop_wait"


def queue_ticket(request) -> str:
    """The visitor's place-holder in a drop's waiting line: their session, kept across the
    waiting room's retries (a new cart per retry would lose the place)."""
    return f"s:{request.session.ensure_key()}"


def send_to_waiting_room(request, exc, *, quantity: int, next_url: str):
    request.session[WAIT_KEY] = {
        "sku": exc.sku,
        "quantity": quantity,
        "position": exc.position,
        "retry_after": exc.retry_after,
        "next": next_url,
    }
    return redirect(reverse("drop-wait"))


def send_to_sold_out(exc):
    return redirect(f"{reverse('drop-sold-out')}?{urlencode({'sku': exc.sku})}")


def _product(sku: str):
    variant = Variant.objects.select_related("product").filter(sku=sku[:64]).first()
    return variant.product if variant else None


@never_cache
@require_safe
def waiting_room(request):
    """Your place in line; the page tries to add the item again after `retry_after` seconds."""
    wait = request.session.get(WAIT_KEY)
    if not wait:
        return redirect("cart")
    return render(
        request,
        "storefront/drop/waiting_room.html",
        {"wait": wait, "product": _product(wait["sku"])},
    )


@never_cache
@require_safe
def sold_out(request):
    sku = request.GET.get("sku", "")[:64].replace("\x00", "")
    request.session.pop(WAIT_KEY, None)
    return render(
        request,
        "storefront/drop/sold_out.html",
        {"sku": sku, "product": _product(sku) if sku else None},
        status=200,
    )
