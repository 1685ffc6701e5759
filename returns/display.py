"""Pieces of other pages about returns: the order page's "Return items" and its RMAs, the
account page's list of returns. Each is drawn from its template (templates/jinja2/returns/
includes/) and placed by the storefront's pages (storefront.jinja2_env: `order_returns`,
`customer_returns`)."""

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from returns import selectors


def order_returns(order, user) -> SafeString:
    """For the order's own customer: a "Return items" link while something is returnable,
    and the order's returns."""
    if order.customer_id is None or order.customer_id != user.pk:
        context = {"order": order, "may_return": False, "rmas": []}
    else:
        may_return = any(state.max_quantity > 0 for state in selectors.returnable_lines(order))
        rmas = list(order.returns.order_by("-created_at")) if order.pk else []
        context = {"order": order, "may_return": may_return, "rmas": rmas}
    return mark_safe(render_to_string("returns/includes/order_returns.html", context))


def customer_returns(user) -> SafeString:
    """The customer's returns, newest first (50 at most)."""
    rmas = selectors.list_returns(user=user).filter(customer_id=user.pk).select_related("order")
    context = {"rmas": rmas[:50]}
    return mark_safe(render_to_string("returns/includes/customer_returns.html", context))
