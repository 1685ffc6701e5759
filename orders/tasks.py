"""Celery tasks of the orders app: fetch by id, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task

from orders.services import notifications as notification_services
from orders.services.notifications import TRANSIENT_ERRORS


@shared_task(
    name="orders.tasks.send_order_notification",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_order_notification(notification_id: int) -> bool:
    """Send one customer e-mail; SMTP trouble retries with backoff, a sent one is skipped."""
    return notification_services.send_order_notification(notification_id=notification_id)


@shared_task(name="orders.tasks.reconcile_payments")
def reconcile_payments(older_than_seconds: int | None = None) -> dict:
    """Ask the gateway about payments left pending (beat: every few minutes)."""
    from orders.services import reconciliation

    return reconciliation.reconcile_payments(older_than=older_than_seconds).as_dict()


@shared_task(name="orders.tasks.expire_unpaid_orders")
def expire_unpaid_orders() -> int:
    """Cancel orders unpaid past their market's limit, after asking the gateway."""
    from orders.services import cancellation

    return cancellation.expire_unpaid_orders()


@shared_task(name="orders.tasks.forget_stale_cards")
def forget_stale_cards() -> int:
    """Clear the card on file of carts left alone past a day (beat: hourly)."""
    from orders.services import checkout

    return checkout.forget_stale_cards()


@shared_task(name="orders.tasks.commit_order_tax", max_retries=5, default_retry_delay=60)
def commit_order_tax(order_id: int) -> None:
    """Tell the tax provider a placed order's sale happened (it files it)."""
    from orders import selectors
    from orders.services import tax

    tax.commit_tax(selectors.get_order_with_lines(order_id))


@shared_task(
    name="orders.tasks.capture_placed_order",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=60,
    max_retries=5,
)
def capture_placed_order(order_id: int) -> None:
    """Capture policy at_placement: take the money once the order is placed."""
    from orders.models import Order
    from orders.services import shipments

    shipments.capture_placed_order(order=Order.objects.get(pk=order_id))
