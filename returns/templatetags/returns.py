"""Pieces of other pages about returns: the order page's "Return items" and its RMAs, the
account page's list of returns (loaded by the storefront's templates)."""

from django import template

from returns import selectors

register = template.Library()


@register.inclusion_tag("returns/includes/order_returns.html")
def order_returns(order, user):
    """For the order's own customer: a "Return items" link while something is returnable,
    and the order's returns."""
    if order.customer_id is None or order.customer_id != user.pk:
        return {"order": order, "may_return": False, "rmas": []}
    may_return = any(state.max_quantity > 0 for state in selectors.returnable_lines(order))
    rmas = list(order.returns.order_by("-created_at")) if order.pk else []
    return {"order": order, "may_return": may_return, "rmas": rmas}


@register.inclusion_tag("returns/includes/customer_returns.html")
def customer_returns(user):
    rmas = selectors.list_returns(user=user).filter(customer_id=user.pk).select_related("order")
    return {"rmas": rmas[:50]}
