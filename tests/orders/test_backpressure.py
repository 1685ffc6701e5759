"""Backpressure (shop/queues.py): a full mail queue delays the confirmation e-mail, never drops
it and never holds up the order; a dead broker does not stop an order being placed."""

import pytest
from django.core import mail

from orders import providers
from orders.models import Order, OrderNotification, OrderStatus
from shop import jobs
from shop.models import DeferredTask
from tests.broker_support import DEAD_BROKER, run_next_message
from tests.factories.orders import checkout_ready_cart, place
from tests.tax_support import RemoteTaxProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_cap_of_one(settings):
    settings.CELERY_QUEUE_CAPS = {**settings.CELERY_QUEUE_CAPS, "mail": 1}


def test_at_its_cap_a_mail_is_deferred_and_later_sent_exactly_once(
    stocked, redis_broker, mail_cap_of_one, django_capture_on_commit_callbacks
):
    redis_broker.lpush("mail", "a message already waiting")  # the mail queue is at its cap

    # A remote tax provider's filing goes to its own queue (webhooks), which has room.
    with (
        providers.override(tax=RemoteTaxProvider()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place(checkout_ready_cart(lines=[(stocked, 1)], email="ada@example.com"))

    deferred = DeferredTask.objects.get(task="orders.tasks.send_order_notification")
    assert order.status == OrderStatus.PLACED
    assert deferred.last_error == "queue mail at its cap (1)"
    assert redis_broker.llen("mail") == 1  # nothing added past the cap
    assert redis_broker.llen("webhooks") == 1  # the tax commit has room and went at once
    assert jobs.requeue_deferred_tasks() == 0  # still full: the mail waits in PostgreSQL
    assert DeferredTask.objects.filter(pk=deferred.pk).exists()

    redis_broker.delete("mail")  # the mail workers caught up
    assert jobs.requeue_deferred_tasks() == 1
    assert jobs.requeue_deferred_tasks() == 0  # published once
    assert not DeferredTask.objects.exists()
    assert redis_broker.llen("mail") == 1
    name, sent = run_next_message(redis_broker, "mail")

    assert (name, sent) == ("orders.tasks.send_order_notification", True)
    assert [m.subject for m in mail.outbox] == [f"Your order {order.reference} is confirmed"]
    assert OrderNotification.objects.get().sent_at is not None
    # A second delivery of the same task (at least once) sends nothing more.
    notification_id = OrderNotification.objects.get().pk
    from orders import tasks as order_tasks

    assert order_tasks.send_order_notification.apply(args=[notification_id]).get() is False
    assert len(mail.outbox) == 1


def test_with_the_broker_down_the_order_is_still_placed(
    stocked, broker, django_capture_on_commit_callbacks
):
    broker(DEAD_BROKER)

    with django_capture_on_commit_callbacks(execute=True):
        order = place(checkout_ready_cart(lines=[(stocked, 2)], email="ada@example.com"))

    assert Order.objects.get().status == OrderStatus.PLACED == order.status
    # The manual tax table filed the sale inside the placement; only the e-mail waits.
    assert list(DeferredTask.objects.values_list("task", flat=True)) == [
        "orders.tasks.send_order_notification",
    ]
    assert order.tax_reference == f"manual:{order.reference}"
    assert mail.outbox == []  # delayed, not lost: the rows wait for the beat
    assert OrderNotification.objects.get().sent_at is None


def test_with_the_broker_down_a_remote_tax_filing_waits_with_the_mail(
    stocked, broker, django_capture_on_commit_callbacks
):
    broker(DEAD_BROKER)

    with (
        providers.override(tax=RemoteTaxProvider()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place(checkout_ready_cart(lines=[(stocked, 1)], email="ada@example.com"))

    assert order.status == OrderStatus.PLACED
    assert sorted(DeferredTask.objects.values_list("task", flat=True)) == [
        "orders.tasks.commit_order_tax",
        "orders.tasks.send_order_notification",
    ]
    assert Order.objects.get().tax_reference == ""
