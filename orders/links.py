"""Signed links to an order page: guests see their order only through one of these."""

from django.core import signing

from orders.conf import site_url

_SALT = "orders.order-link"


def order_link_token(order) -> str:
    """A token that opens `order`'s page without logging in (no expiry: like a receipt)."""
    return signing.Signer(salt=_SALT).sign(order.public_id).split(":", 1)[1]


def check_order_link_token(public_id: str, token: str) -> bool:
    """Does `token` open the order `public_id`? Constant-time comparison."""
    try:
        signing.Signer(salt=_SALT).unsign(f"{public_id}:{token}")
    except signing.BadSignature:
        return False
    return True


def order_url(order, *, signed: bool | None = None) -> str:
    """Absolute URL of the order page; signed for guests (or when asked)."""
    url = f"{site_url()}/orders/{order.public_id}/"
    if signed or (signed is None and order.customer_id is None):
        url += f"?token={order_link_token(order)}"
    return url
