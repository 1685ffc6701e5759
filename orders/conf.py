"""Orders settings with their defaults (override any of them in settings.py)."""

from datetime import timedelta

from django.conf import settings

DEFAULT_UNPAID_ORDER_TTL_SECONDS = 30 * 60
# Order holds outlive the payment window by this much, so the expiry job (which asks the
# gateway first) always runs while the stock is still held.
HOLD_GRACE_SECONDS = 15 * 60
DEFAULT_RECONCILE_AFTER_SECONDS = 5 * 60


def unpaid_order_ttl(market) -> timedelta:
    """How long an order may stay unpaid in `market` before it is cancelled.

    ORDERS_UNPAID_ORDER_TTL_SECONDS: {market code: seconds, "default": seconds}.
    """
    table = getattr(settings, "ORDERS_UNPAID_ORDER_TTL_SECONDS", {})
    seconds = table.get(getattr(market, "code", ""), table.get("default"))
    return timedelta(seconds=seconds or DEFAULT_UNPAID_ORDER_TTL_SECONDS)


def order_hold_ttl(market) -> int:
    """Seconds a pending order's soft stock holds last."""
    return int(unpaid_order_ttl(market).total_seconds()) + HOLD_GRACE_SECONDS


def site_url() -> str:
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")


def checkout_enabled(market=None) -> bool:
    """Whether orders may be placed or paid now (in `market`): no kill switch is off for
    checkout as a whole or for the market (orders.switches; docs/runbooks.md)."""
    from orders import switches

    return switches.checkout_open(market)
