"""Point the Celery app at a real (or dead) broker for a test, and play the worker's part:
take a message off a Redis queue and run its task, as `celery worker` would."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from django.conf import settings

from shop import jobs, queues

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def broker():
    """`broker(url)`: publish to `url` (not eager) for the test; restored afterwards."""
    from shop.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}

    def _reset():
        app._pool = None
        app.amqp._producer_pool = None
        jobs.reset_broker_state()
        queues.forget_depths()

    def use(url):
        app.conf.update(broker_url=url, task_always_eager=False)
        _reset()

    yield use
    app.conf.update(**saved)
    _reset()


@pytest.fixture
def redis_broker(broker):
    """The test Redis as the broker, its queue lists empty before and after the test."""
    url = settings.CELERY_BROKER_URL
    client = redis.Redis.from_url(url)
    client.delete(*queues.QUEUES)
    broker(url)
    yield client
    client.delete(*queues.QUEUES)


def run_next_message(client: redis.Redis, queue: str):
    """Pop the oldest message of `queue` (kombu pushes left, consumers pop right) and run its
    task in this process. Returns (task name, result)."""
    from shop.celery import app

    raw = client.rpop(queue)
    assert raw is not None, f"queue {queue} is empty"
    message = json.loads(raw)
    body = (
        base64.b64decode(message["body"])
        if message["properties"].get("body_encoding") == "base64"
        else message["body"]
    )
    args, kwargs, _embed = json.loads(body)
    name = message["headers"]["task"]
    return name, app.tasks[name].apply(args=args, kwargs=kwargs).get()
