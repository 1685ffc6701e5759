"""A Celery worker keeps its database connection from task to task, and drops a broken or
obsolete one, as Django does around requests (shop.celery.drop_unusable_connections)."""

import time

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from shop.celery import app
from shop.tasks import send_email

pytestmark = pytest.mark.django_db(transaction=True)  # a worker runs tasks in autocommit


def _run_task_signals(task=send_email):
    """What a worker does around one task: Celery's fixup and ours, before and after."""
    fixup = DjangoWorkerFixup(app)
    signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    fixup.on_task_prerun(sender=task)
    signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    fixup.on_task_postrun(sender=task)


def _connected():
    connection.ensure_connection()
    return connection.connection


def test_the_connection_is_kept_between_tasks():
    before = _connected()
    for _ in range(3):
        _run_task_signals()
    assert connection.connection is before
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_an_obsolete_connection_is_closed_and_the_next_query_reconnects():
    _connected()
    connection.close_at = time.monotonic() - 1  # older than CONN_MAX_AGE
    _run_task_signals()
    assert connection.connection is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_broken_connection_is_closed():
    raw = _connected()
    connection.errors_occurred = True
    raw.close()  # what a restarted PostgreSQL leaves behind
    _run_task_signals()
    assert connection.connection is None


def test_eager_tasks_leave_the_callers_connection_alone():
    before = _connected()
    connection.close_at = time.monotonic() - 1
    send_email.push_request(is_eager=True)
    try:
        _run_task_signals()
    finally:
        send_email.pop_request()
    assert connection.connection is before
