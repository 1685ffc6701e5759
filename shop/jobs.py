"""Queueing Celery tasks so that a broker outage never fails the request that queues them.

`enqueue(task, *args, **kwargs)` publishes the task. When the broker (Redis) cannot take it, the
error is logged and the call is recorded as a DeferredTask row in PostgreSQL; the beat's
`shop.tasks.requeue_deferred_tasks` publishes the rows again once the broker answers. After one
failure the broker is skipped for BROKER_RETRY_SECONDS, so requests during an outage do not each
wait for a connection to be refused.

Delivery is at least once, as with Celery itself: a task must tolerate running twice.
Arguments must be JSON (Celery's serializer; the row stores them as JSON too).
"""

import logging
import threading
import time

from celery import current_app
from django.db import transaction

from shop.models import DeferredTask

logger = logging.getLogger(__name__)

BROKER_RETRY_SECONDS = 30
_state = {"broker_down_until": 0.0}
_lock = threading.Lock()


def _broker_is_down() -> bool:
    return time.monotonic() < _state["broker_down_until"]


def _broker_failed() -> None:
    with _lock:
        _state["broker_down_until"] = time.monotonic() + BROKER_RETRY_SECONDS


def reset_broker_state() -> None:
    """Forget a recorded outage (tests)."""
    _state["broker_down_until"] = 0.0


def enqueue(task, *args, **kwargs) -> bool:
    """Queue `task` (a Celery task) with JSON `args`/`kwargs`. True when published (or, in eager
    mode, run); False when the broker was down and the call was recorded for the beat. Never
    raises because of the broker."""
    if task.app.conf.task_always_eager:
        task.apply_async(args=args, kwargs=kwargs)  # development and tests: run it now
        return True
    if not _broker_is_down():
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
            return True
        except Exception as exc:  # noqa: BLE001 - whatever the broker raised, the buyer goes on
            _broker_failed()
            error = f"{type(exc).__name__}: {exc}"
            logger.error("Broker unavailable; %s deferred for the beat (%s)", task.name, error)
    else:
        error = "broker down (skipped for a while after a failure)"
        logger.warning("Broker marked down; %s deferred for the beat", task.name)
    DeferredTask.objects.create(task=task.name, args=list(args), kwargs=kwargs, last_error=error)
    return False


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """enqueue() once the current transaction commits (nothing is queued if it rolls back)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def requeue_deferred_tasks(*, batch_size: int = 100) -> int:
    """Publish deferred tasks again, oldest first; stop at the first broker failure (it is still
    down). Returns how many were published. Rows are locked SKIP LOCKED, so two runs never
    publish the same row."""
    published = 0
    with transaction.atomic():
        rows = list(
            DeferredTask.objects.select_for_update(skip_locked=True).order_by("pk")[:batch_size]
        )
        for row in rows:
            try:
                current_app.send_task(row.task, args=row.args, kwargs=row.kwargs, retry=False)
            except Exception as exc:  # noqa: BLE001
                DeferredTask.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"
                )
                logger.warning("Broker still unavailable; %d task(s) wait", len(rows) - published)
                break
            row.delete()
            published += 1
    if published:
        logger.info("Requeued %d deferred task(s)", published)
    return published
