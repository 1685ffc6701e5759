"""Queueing Celery tasks so that a broker outage never fails the request that queues them.

`enqueue(task, *args, **kwargs)` publishes the task. When the broker (Redis) cannot take it, the
error is logged and the call is recorded as a DeferredTask row in PostgreSQL; the beat's
`shop.tasks.requeue_deferred_tasks` publishes the rows again once the broker answers. After one
failure the broker is skipped for BROKER_RETRY_SECONDS, so requests during an outage do not each
wait for a connection to be refused.

Each queue has a cap (shop/queues.py): a task whose queue is at its cap is deferred the same
way (mail is delayed, never dropped), except the reconciliation sweeps, which are skipped since
the beat sends them again. The requeue publishes a row only while its queue has room.

Delivery is at least once, as with Celery itself: a task must tolerate running twice.
Arguments must be JSON (Celery's serializer; the row stores them as JSON too).
"""

import logging
import threading
import time

from celery import current_app
from django.db import transaction

from shop import queues
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
    mode, run); False when it was deferred for the beat (broker down, or its queue at its cap)
    or, for a queue that skips at its cap, dropped because the beat sends it again. Never
    raises because of the broker, and never waits on it for long (the queue depth is read at
    most once a second per process, a failure skips the broker for BROKER_RETRY_SECONDS)."""
    if task.app.conf.task_always_eager:
        task.apply_async(args=args, kwargs=kwargs)  # development and tests: run it now
        return True
    if _broker_is_down():
        logger.warning("Broker marked down; %s deferred for the beat", task.name)
        _defer(task.name, args, kwargs, "broker down (skipped for a while after a failure)")
        return False
    queue = queues.queue_for(task.name)
    try:
        if not queues.has_room(queue):
            return _at_cap(task.name, queue, args, kwargs)
        task.apply_async(args=args, kwargs=kwargs, retry=False)
        return True
    except Exception as exc:  # noqa: BLE001 - whatever the broker raised, the buyer goes on
        _broker_failed()
        error = f"{type(exc).__name__}: {exc}"
        logger.error("Broker unavailable; %s deferred for the beat (%s)", task.name, error)
        _defer(task.name, args, kwargs, error)
        return False


def _at_cap(task_name: str, queue: str, args, kwargs) -> bool:
    cap = queues.cap(queue)
    if queues.at_cap_policy(queue) == queues.SKIP:
        logger.warning("Queue %s at its cap (%d); %s skipped", queue, cap, task_name)
        return False
    logger.warning("Queue %s at its cap (%d); %s deferred", queue, cap, task_name)
    _defer(task_name, args, kwargs, f"queue {queue} at its cap ({cap})")
    return False


def _defer(task_name: str, args, kwargs, error: str) -> None:
    DeferredTask.objects.create(task=task_name, args=list(args), kwargs=kwargs, last_error=error)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """enqueue() once the current transaction commits (nothing is queued if it rolls back).

    Robust: in eager mode (the embedded demo) a task that fails, e.g. on an SMTP outage, is
    logged and does not fail the request whose transaction already committed."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs), robust=True)


def requeue_deferred_tasks(*, batch_size: int = 100) -> int:
    """Publish deferred tasks again, oldest first, while their queues have room; stop at the
    first broker failure (it is still down). Returns how many were published. Rows are locked
    SKIP LOCKED, so two runs never publish the same row."""
    try:
        room = _room_per_queue()
    except queues.BrokerUnavailable:
        room = {}  # cannot tell: the first publish below fails and records it on its row
    full = [q for q, free in room.items() if free is not None and free <= 0]
    published = 0
    with transaction.atomic():
        rows = list(
            DeferredTask.objects.select_for_update(skip_locked=True)
            .exclude(task__in=[name for q in full for name in queues.tasks_routed_to(q)])
            .order_by("pk")[:batch_size]
        )
        for row in rows:
            queue = queues.queue_for(row.task)
            if room.get(queue) is not None and room[queue] <= 0:
                continue  # this queue filled up during the batch: the row waits for a later run
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
            if room.get(queue) is not None:
                room[queue] -= 1
    if published:
        queues.forget_depths()
        logger.info("Requeued %d deferred task(s)", published)
    return published


def _room_per_queue() -> dict[str, int | None]:
    """How many more tasks each queue takes before its cap (None: no cap). The depth is read
    fresh: this runs once a minute, and a stale one could overfill a queue."""
    depths = queues.read_depths()
    return {
        q: (queues.cap(q) - depths.get(q, 0)) if queues.cap(q) else None for q in queues.QUEUES
    }
