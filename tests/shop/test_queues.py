"""shop/queues.py: every kind of task has its queue; caps are read from the broker's lists and
what happens at a cap depends on the kind."""

import pytest
from celery.beat import ScheduleEntry
from django.conf import settings

from inventory import tasks as inventory_tasks
from shop import jobs, queues
from shop.celery import app
from shop.models import DeferredTask
from shop.tasks import send_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def caps_of_one(settings):
    settings.CELERY_QUEUE_CAPS = dict.fromkeys(queues.QUEUES, 1)


def test_every_routed_task_exists_and_every_queue_has_a_cap():
    app.loader.import_default_modules()

    assert sorted(set(settings.CELERY_TASK_ROUTES) - set(app.tasks)) == []
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} == {
        "mail",
        "fulfillment",
        "webhooks",
        "reconciliation",
    }
    assert set(settings.CELERY_QUEUE_CAPS) == set(queues.QUEUES)
    assert queues.queue_for("catalog.tasks.import_catalog_file") == "default"


def test_depths_are_the_lengths_of_the_broker_lists(redis_broker):
    redis_broker.lpush("mail", "a", "b")
    redis_broker.lpush("mail\x06\x163", "c")  # a priority-3 message
    redis_broker.lpush("reconciliation", "d")

    depths = queues.read_depths()

    assert depths == {
        "mail": 3,
        "fulfillment": 0,
        "webhooks": 0,
        "reconciliation": 1,
        "default": 0,
    }


def test_the_depth_is_read_at_most_once_a_second_per_process(redis_broker, caps_of_one):
    assert queues.has_room("mail") is True
    redis_broker.lpush("mail", "a")

    assert queues.has_room("mail") is True  # the copy read a moment ago
    queues.forget_depths()
    assert queues.has_room("mail") is False


def test_a_mail_at_its_cap_is_deferred_not_dropped(redis_broker, caps_of_one):
    redis_broker.lpush("mail", "waiting")

    queued = jobs.enqueue(send_email, subject="Hi", body="Hello", to=["ada@example.com"])

    row = DeferredTask.objects.get()
    assert queued is False
    assert (row.task, row.kwargs, row.last_error) == (
        "shop.tasks.send_email",
        {"subject": "Hi", "body": "Hello", "to": ["ada@example.com"]},
        "queue mail at its cap (1)",
    )
    assert redis_broker.llen("mail") == 1


def test_a_reconciliation_sweep_at_its_cap_is_skipped(redis_broker, caps_of_one):
    redis_broker.lpush("reconciliation", "waiting")

    queued = jobs.enqueue(inventory_tasks.expire_reservations)

    assert queued is False
    assert not DeferredTask.objects.exists()  # the beat sends it again on its next tick
    assert redis_broker.llen("reconciliation") == 1


def test_a_cap_of_zero_means_no_cap(redis_broker, settings):
    settings.CELERY_QUEUE_CAPS = {**settings.CELERY_QUEUE_CAPS, "mail": 0}
    redis_broker.lpush("mail", *["x"] * 5)

    assert jobs.enqueue(send_email, subject="Hi", body="Hello", to=["a@example.com"]) is True
    assert redis_broker.llen("mail") == 6


def test_requeue_leaves_rows_of_a_full_queue_and_publishes_the_others(redis_broker, caps_of_one):
    redis_broker.lpush("mail", "waiting")
    jobs.enqueue(send_email, subject="Hi", body="Hello", to=["a@example.com"])
    redis_broker.lpush("default", "waiting")
    queues.forget_depths()
    jobs.enqueue(app.tasks["catalog.tasks.import_catalog_file"], "job_1")
    redis_broker.delete("default")

    published = jobs.requeue_deferred_tasks()

    assert published == 1
    assert list(DeferredTask.objects.values_list("task", flat=True)) == ["shop.tasks.send_email"]
    assert redis_broker.llen("default") == 1


def test_the_beat_skips_a_sweep_whose_queue_is_full(redis_broker, caps_of_one, tmp_path):
    scheduler = queues.CappedScheduler(
        app=app, schedule_filename=str(tmp_path / "beat"), lazy=True
    )
    entry = ScheduleEntry(
        name="sweep", task="inventory.tasks.expire_reservations", schedule=60.0, app=app
    )
    redis_broker.lpush("reconciliation", "waiting")

    skipped = scheduler.apply_async(entry, advance=False)
    redis_broker.delete("reconciliation")
    queues.forget_depths()
    sent = scheduler.apply_async(entry, advance=False)

    assert skipped is None
    assert sent is not None
    assert redis_broker.llen("reconciliation") == 1


def test_a_queue_cap_from_the_environment_must_be_a_whole_number():
    from django.core.exceptions import ImproperlyConfigured

    from shop.settings import env_cap

    for bad in ("-1", "ten", "1e9", "99999999999"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CELERY_QUEUE_CAP_MAIL", bad)
            with pytest.raises(ImproperlyConfigured, match="CELERY_QUEUE_CAP_MAIL"):
                env_cap("CELERY_QUEUE_CAP_MAIL", 10)
