"""Orders settings with their defaults (override any of them in settings.py)."""

from datetime import timedelta

from django.conf import settings

DEFAULT_UNPAID_ORDER_TTL_SECONDS = 30 * 60
# Order holds outlive the payment window by this much, so the expiry job (which asks the
# gateway first) always runs while the stock is still held.
HOLD_GRACE_SECONDS = 15 * 60
DEFAULT_RECONCILE_AFTER_SECONDS = 5 * 60
# A card kept on an open cart (the storefront's payment step) is forgotten once the cart has
# been left alone this long (orders.services.forget_stale_cards): the buyer types it again.
DEFAULT_CARD_ON_FILE_SECONDS = 24 * 60 * 60


def card_on_file_ttl() -> timedelta:
    return timedelta(
        seconds=getattr(settings, "ORDERS_CARD_ON_FILE_SECONDS", DEFAULT_CARD_ON_FILE_SECONDS)
    )


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


class CapturePolicy:
    """When an order's authorized money is taken (docs/orders.md, "Capture policy")."""

    ON_SHIPMENT = "on_shipment"  # each shipment captures what it carries (the default)
    AT_PLACEMENT = "at_placement"  # everything right after the authorization
    CHOICES = (ON_SHIPMENT, AT_PLACEMENT)


def capture_policy(market) -> str:
    """ORDERS_CAPTURE_POLICY: {market code: "on_shipment" | "at_placement", "default": …}.

    An unknown value in settings falls back to on_shipment (never capture early by mistake).
    """
    table = getattr(settings, "ORDERS_CAPTURE_POLICY", {})
    value = table.get(getattr(market, "code", ""), table.get("default"))
    return value if value in CapturePolicy.CHOICES else CapturePolicy.ON_SHIPMENT


def authorization_valid_for(market) -> timedelta:
    """How long a card authorization holds at the gateway (ORDERS_AUTHORIZATION_VALID_DAYS:
    {market code: days, "default": days}; 7 by default, as most card networks)."""
    table = getattr(settings, "ORDERS_AUTHORIZATION_VALID_DAYS", {})
    days = table.get(getattr(market, "code", ""), table.get("default"))
    return timedelta(days=days or 7)


def authorization_warning() -> timedelta:
    """Orders whose authorization expires within this (ORDERS_AUTHORIZATION_WARNING_DAYS,
    default 2) and still have units to ship are flagged in the fulfillment queue."""
    return timedelta(days=getattr(settings, "ORDERS_AUTHORIZATION_WARNING_DAYS", 2))
