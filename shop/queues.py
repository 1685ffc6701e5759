"""Celery queues per kind of work, their caps and what happens at a cap.

Each task is routed to one queue (`CELERY_TASK_ROUTES` in settings; unrouted tasks go to
`default`), and each queue has a cap, its longest backlog (`CELERY_QUEUE_CAPS`, from
`CELERY_QUEUE_CAP_<QUEUE>`; 0 = no cap). `shop.jobs.enqueue` asks `has_room` before publishing:

| queue          | at its cap                                                             |
| mail           | deferred to PostgreSQL (DeferredTask), published again later: delayed,   |
|                | never dropped                                                           |
| fulfillment    | deferred the same way                                                   |
| webhooks       | deferred the same way                                                   |
| reconciliation | skipped: the beat sends it again on its next tick                       |
| default        | deferred                                                                |

The backlog is the length of the broker's Redis list for the queue (LLEN over the list and its
priority lists, one pipelined round trip), kept per process for `DEPTH_SECONDS`, so a burst of
checkouts costs one LLEN a second per worker. A broker that cannot be asked raises
BrokerUnavailable; the caller defers, as for a refused publish.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from celery.beat import PersistentScheduler
from django.conf import settings

from shop import redis_urls

logger = logging.getLogger(__name__)

DEPTH_SECONDS = 1.0
DEFAULT_QUEUE = "default"
DEFER, SKIP = "defer", "skip"
# What happens to a task whose queue is at its cap (see the module's note).
AT_CAP = {
    "mail": DEFER,
    "fulfillment": DEFER,
    "webhooks": DEFER,
    "reconciliation": SKIP,
    DEFAULT_QUEUE: DEFER,
}
QUEUES = tuple(AT_CAP)
# kombu's Redis transport keeps priorities 3, 6 and 9 in lists named queue + SEP + priority.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class BrokerUnavailable(Exception):
    """The broker could not be asked how long a queue is."""


@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int
    cap: int

    @property
    def at_cap(self) -> bool:
        return self.cap > 0 and self.depth >= self.cap


_local = {"at": -1.0, "depths": {}}
_lock = threading.Lock()
_client = {"url": None, "redis": None}


def queue_for(task_name: str) -> str:
    """The queue `task_name` is routed to."""
    route = settings.CELERY_TASK_ROUTES.get(task_name) or {}
    return route.get("queue", DEFAULT_QUEUE)


def at_cap_policy(queue: str) -> str:
    return AT_CAP.get(queue, DEFER)


def cap(queue: str) -> int:
    return int(settings.CELERY_QUEUE_CAPS.get(queue, 0))


def tasks_routed_to(queue: str) -> list[str]:
    return [name for name in settings.CELERY_TASK_ROUTES if queue_for(name) == queue]


def _redis():
    """A Redis client for the broker, or None when the broker is not Redis (eager demo)."""
    from celery import current_app

    url = redis_urls.client_url(current_app.conf.broker_url or "")
    if url is None:
        return None
    if _client["url"] != url:
        import redis

        _client["redis"] = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        _client["url"] = url
    return _client["redis"]


def read_depths() -> dict[str, int]:
    """Each queue's backlog now, straight from the broker (no per-process copy).

    Raises BrokerUnavailable. An empty dict when the broker is not Redis."""
    client = _redis()
    if client is None:
        return {}
    try:
        pipe = client.pipeline(transaction=False)
        for queue in QUEUES:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
        lengths = pipe.execute()
    except Exception as exc:  # noqa: BLE001 - any broker failure means "cannot tell"
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc
    step = len(_PRIORITY_SUFFIXES)
    return {q: sum(lengths[i * step : (i + 1) * step]) for i, q in enumerate(QUEUES)}


def depths() -> dict[str, int]:
    """read_depths(), kept per process for DEPTH_SECONDS. Raises BrokerUnavailable."""
    now = time.monotonic()
    if now - _local["at"] < DEPTH_SECONDS:
        return _local["depths"]
    fresh = read_depths()
    with _lock:
        _local["at"], _local["depths"] = now, fresh
    return fresh


def forget_depths() -> None:
    """Drop the per-process copy (tests, and after a publish that is known to fill a queue)."""
    _local["at"], _local["depths"] = -1.0, {}


def broker_answers() -> bool:
    """True when the broker takes a connection (Redis: PING, half a second at most); always
    True without a broker (eager tasks, the in-memory transport)."""
    from celery import current_app

    url = current_app.conf.broker_url or ""
    if url.startswith("memory://") or current_app.conf.task_always_eager and not url:
        return True
    try:
        client = _redis()
        if client is not None:
            return bool(client.ping())
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return True
    except Exception:  # noqa: BLE001 - any failure: the broker is down
        return False


def state(queue: str) -> QueueState:
    """The queue's backlog and cap. Raises BrokerUnavailable."""
    return QueueState(name=queue, depth=depths().get(queue, 0), cap=cap(queue))


def has_room(queue: str) -> bool:
    """False when `queue` is at its cap. Raises BrokerUnavailable."""
    return not state(queue).at_cap


class CappedScheduler(PersistentScheduler):
    """The beat's scheduler (CELERY_BEAT_SCHEDULER): a task whose queue skips at its cap is not
    sent while that queue is full; the next tick sends it. Others are sent as usual."""

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        queue = queue_for(entry.task)
        if at_cap_policy(queue) == SKIP:
            try:
                full = not has_room(queue)
            except BrokerUnavailable:
                full = False  # let the publish itself fail and be reported as usual
            if full:
                if advance:
                    self.reserve(entry)
                logger.warning("Queue %s at its cap; %s skipped this tick", queue, entry.task)
                return None
        return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
