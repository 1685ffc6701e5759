"""Celery tasks of the platform core: thin wrappers, as in every app."""

from celery import shared_task

from shop import idempotency


@shared_task(name="shop.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Key records past their 24 h (beat: hourly)."""
    return idempotency.purge_expired_keys()
