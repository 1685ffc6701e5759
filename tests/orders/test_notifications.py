from smtplib import SMTPException, SMTPServerDisconnected
from unittest import mock

import pytest
from django.core import mail

from orders import services
from orders import tasks as order_tasks
from orders.links import check_order_link_token, order_link_token
from orders.models import OrderNotification
from orders.services import notifications
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db


def test_confirmation_has_text_and_html_with_the_order(
    stocked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(checkout_ready_cart(lines=[(stocked, 2)], email="ada@example.com"))

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your order {order.reference} is confirmed"
    assert order.reference in message.body
    assert "$52.00" in message.body and "$52.00" in html
    assert f"2 × {stocked.product.title}" in message.body
    assert "TEE-RED-M" in html
    assert f"/orders/{order.public_id}/?token={order_link_token(order)}" in message.body
    assert OrderNotification.objects.get().sent_at is not None


def test_customers_get_a_plain_link_guests_a_signed_one(stocked, customer):
    order = place(checkout_ready_cart(lines=[(stocked, 1)], customer=customer), customer=customer)

    message = notifications.render_order_email(order, "order_placed")

    assert f"/orders/{order.public_id}/\n" in message.body
    assert "token=" not in message.body


def test_signed_links_open_only_their_order(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))
    token = order_link_token(order)

    assert check_order_link_token(order.public_id, token) is True
    assert check_order_link_token("ord_other", token) is False
    assert check_order_link_token(order.public_id, token + "x") is False


def test_a_notification_is_sent_once_even_if_the_task_runs_twice(stocked):
    with mock.patch("orders.tasks.send_order_notification.apply_async"):
        place(checkout_ready_cart(lines=[(stocked, 1)]))
    notification = OrderNotification.objects.get()

    assert notifications.send_order_notification(notification_id=notification.pk) is True
    assert notifications.send_order_notification(notification_id=notification.pk) is False

    assert len(mail.outbox) == 1


def test_smtp_failure_is_recorded_and_raised_for_a_retry(stocked):
    with mock.patch("orders.tasks.send_order_notification.apply_async"):
        place(checkout_ready_cart(lines=[(stocked, 1)]))
    notification = OrderNotification.objects.get()

    with (
        mock.patch(
            "django.core.mail.EmailMultiAlternatives.send",
            side_effect=SMTPServerDisconnected("gone"),
        ),
        pytest.raises(SMTPServerDisconnected),
    ):
        notifications.send_order_notification(notification_id=notification.pk)

    notification.refresh_from_db()
    assert (notification.attempts, notification.sent_at, notification.last_error) == (
        1,
        None,
        "SMTPServerDisconnected: gone",
    )
    assert notifications.send_order_notification(notification_id=notification.pk) is True
    assert len(mail.outbox) == 1


def test_the_task_retries_smtp_failures_with_backoff():
    task = order_tasks.send_order_notification

    assert SMTPException in task.autoretry_for
    assert (task.max_retries, task.retry_backoff) == (8, 30)


def test_an_smtp_outage_does_not_fail_the_placement(stocked, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(
            notifications.EmailMultiAlternatives, "send", side_effect=SMTPServerDisconnected()
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place(checkout_ready_cart(lines=[(stocked, 1)]))

    assert order.status == "placed"
    notification = OrderNotification.objects.get()
    assert (notification.sent_at, notification.attempts) == (None, 1)
    assert mail.outbox == []


def test_payment_failed_and_cancelled_mails(stocked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_declined")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order=order, reason="customer")

    assert [m.subject for m in mail.outbox] == [
        f"Payment for order {order.reference} did not go through",
        f"Your order {order.reference} has been cancelled",
    ]
    assert "You have not been charged." in mail.outbox[1].body


def test_a_replayed_event_queues_no_second_mail(stocked, django_capture_on_commit_callbacks):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_order_event(order=order, event_id="c-1", type="order.cancelled")
        services.apply_order_event(order=order, event_id="c-1", type="order.cancelled")

    assert OrderNotification.objects.filter(kind="order_cancelled").count() == 1
    assert [m.subject for m in mail.outbox] == [f"Your order {order.reference} has been cancelled"]
