"""Celery tasks of the platform core: thin wrappers, as in every app."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from shop import idempotency, jobs


@shared_task(name="shop.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Key records past their 24 h (beat: hourly)."""
    return idempotency.purge_expired_keys()


@shared_task(name="shop.tasks.requeue_deferred_tasks")
def requeue_deferred_tasks() -> int:
    """Publish the tasks queued while the broker was down (beat: every minute)."""
    return jobs.requeue_deferred_tasks()


@shared_task(
    name="shop.tasks.send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text e-mail (account mail: sign-up, password reset); SMTP trouble retries
    with backoff."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
