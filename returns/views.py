"""The customer's return pages (API.md "Storefront URLs"):

/account/orders/<ord_id>/return/   choose items, quantities and reasons; preview the refund
                                   and fees; confirm -> the RMA page
/account/returns/<rma_id>/         status timeline, lines, label download, refund
/account/returns/<rma_id>/label/   the label PDF

Signed-in customers only, their own orders and returns (anyone else's is a 404). Every rule
is returns.services'; a refusal comes back as a form error.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from orders import selectors as order_selectors
from orders.exceptions import OrderNotFound
from returns import labels, selectors, services
from returns.forms import ReturnItemsForm
from returns.models import ReturnStatus
from shop.exceptions import DomainError

STEPS = [
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.RECEIVED,
    ReturnStatus.INSPECTED,
    ReturnStatus.REFUNDED,
]


@require_http_methods(["GET", "POST"])
@login_required
def return_items(request, public_id: str):
    """Choose what to send back; "Preview" shows the estimate, "Request return" submits."""
    try:
        order = order_selectors.get_customer_order(customer=request.user, public_id=public_id)
    except OrderNotFound:
        raise Http404("No such order.") from None
    states = [s for s in selectors.returnable_lines(order) if s.max_quantity > 0]
    form = ReturnItemsForm(request.POST or None, states=states)
    estimate = None
    if request.method == "POST" and form.is_valid():
        try:
            if "confirm" in request.POST:
                rma = services.request_return(
                    order=order,
                    lines=form.service_lines(),
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
                return redirect("returns:detail", public_id=rma.public_id)
            _wanted, estimate = services.quote_return(order=order, lines=form.service_lines())
        except DomainError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "returns/request.html",
        {"order": order, "form": form, "rows": form.rows(), "estimate": estimate},
    )


def _own_return(request, public_id: str):
    rma = (
        selectors.list_returns(user=request.user)
        .filter(public_id=str(public_id), customer_id=request.user.pk)
        .first()
    )
    if rma is None:
        raise Http404("No such return.")
    return rma


@require_safe
@login_required
def return_detail(request, public_id: str):
    rma = _own_return(request, public_id)
    reached = {e.to_status for e in rma.events.all()}
    return render(
        request,
        "returns/detail.html",
        {
            "rma": rma,
            "lines": rma.lines.select_related("order_line"),
            "steps": [(step, step.label, step in reached) for step in STEPS],
            "events": rma.events.all(),
            "stopped": rma.status in (ReturnStatus.REJECTED, ReturnStatus.CANCELLED),
        },
    )


@require_safe
@login_required
def return_label(request, public_id: str):
    rma = _own_return(request, public_id)
    if not rma.label_tracking_number:
        raise Http404("No label yet.")
    response = HttpResponse(
        labels.label_provider().render_pdf(rma=rma), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="return-{rma.reference}.pdf"'
    return response
