"""shop.jobs: a broker outage never fails the request that queues a task; the task waits in
PostgreSQL and the beat publishes it once the broker answers."""

import pytest
from celery import shared_task

from shop import jobs
from shop.models import DeferredTask
from shop.tasks import requeue_deferred_tasks
from tests.broker_support import DEAD_BROKER

pytestmark = pytest.mark.django_db


@shared_task(name="tests.shop.test_jobs.remember")
def remember(value, *, tag=""):
    return value


def test_with_the_broker_down_enqueue_records_the_task_instead_of_raising(broker, caplog):
    broker(DEAD_BROKER)

    queued = jobs.enqueue(remember, 7, tag="x")

    row = DeferredTask.objects.get()
    assert queued is False
    assert (row.task, row.args, row.kwargs, row.attempts) == (
        "tests.shop.test_jobs.remember",
        [7],
        {"tag": "x"},
        0,
    )
    assert "Connection refused" in row.last_error
    assert "Broker unavailable; tests.shop.test_jobs.remember deferred for the beat" in caplog.text


def test_after_a_failure_the_broker_is_skipped_for_a_while(broker, monkeypatch):
    broker(DEAD_BROKER)
    jobs.enqueue(remember, 1)
    calls = []
    monkeypatch.setattr(remember, "apply_async", lambda *a, **k: calls.append(1))

    jobs.enqueue(remember, 2)

    assert calls == []  # no second wait for a refused connection
    assert list(DeferredTask.objects.values_list("args", flat=True)) == [[1], [2]]


def test_requeue_publishes_the_waiting_tasks_once_the_broker_answers(broker):
    broker(DEAD_BROKER)
    jobs.enqueue(remember, 1)
    jobs.enqueue(remember, 2)
    broker("memory://")  # the broker is back

    published = jobs.requeue_deferred_tasks()

    assert published == 2
    assert not DeferredTask.objects.exists()


def test_requeue_keeps_the_tasks_while_the_broker_is_still_down(broker):
    broker(DEAD_BROKER)
    jobs.enqueue(remember, 1)
    jobs.enqueue(remember, 2)

    published = requeue_deferred_tasks()  # the beat's task

    rows = list(DeferredTask.objects.values_list("args", "attempts"))
    assert published == 0
    assert rows == [([1], 1), ([2], 0)]  # stopped at the first failure


def test_with_the_broker_up_enqueue_publishes(broker):
    broker("memory://")

    assert jobs.enqueue(remember, 3) is True
    assert not DeferredTask.objects.exists()


def test_in_eager_mode_the_task_runs_at_once():
    assert jobs.enqueue(remember, 4) is True
    assert not DeferredTask.objects.exists()


def test_enqueue_on_commit_waits_for_the_commit(broker, django_capture_on_commit_callbacks):
    broker(DEAD_BROKER)

    with django_capture_on_commit_callbacks() as callbacks:
        jobs.enqueue_on_commit(remember, 5)
        recorded_before_commit = DeferredTask.objects.exists()
    for callback in callbacks:
        callback()

    assert not recorded_before_commit
    assert list(DeferredTask.objects.values_list("args", flat=True)) == [[5]]


def test_the_beat_runs_the_requeue_every_minute(settings):
    assert settings.CELERY_BEAT_SCHEDULE["shop-requeue-deferred-tasks"] == {
        "task": "shop.tasks.requeue_deferred_tasks",
        "schedule": 60.0,
    }
