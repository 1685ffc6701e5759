"""Celery tasks of the inventory app: thin wrappers around services."""

from celery import shared_task

from inventory import services


@shared_task(name="inventory.tasks.expire_reservations")
def expire_reservations(batch_size: int = 500) -> int:
    """Release reservations past their TTL (beat: INVENTORY_EXPIRY_INTERVAL_SECONDS)."""
    return services.expire_reservations(batch_size=batch_size)
