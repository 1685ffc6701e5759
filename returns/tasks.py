"""Celery tasks of the returns app: fetch by id, call a service."""

from __future__ import annotations

from celery import shared_task

from returns.models import ReturnRequest
from returns.services import notifications
from returns.services import tax as return_tax


@shared_task(
    name="returns.tasks.send_return_notification",
    autoretry_for=notifications.TRANSIENT_ERRORS,
    max_retries=5,
    retry_backoff=True,
)
def send_return_notification(notification_id: int) -> bool:
    return notifications.send_return_notification(notification_id=notification_id)


@shared_task(name="returns.tasks.file_return_tax")
def file_return_tax(rma_id: int) -> None:
    rma = ReturnRequest.objects.select_related("order").filter(pk=rma_id).first()
    if rma is not None:
        return_tax.file_return_tax(rma=rma)
