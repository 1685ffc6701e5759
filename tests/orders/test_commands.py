from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from orders.models import Order, OrderStatus
from tests.factories.orders import checkout_ready_cart, place

DOCS = Path(settings.BASE_DIR) / "docs"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_reconcile_payments_command_settles_old_attempts(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")

    assert run("reconcile_payments", "--older-than", "300") == (
        "Checked 0 order(s): 0 placed, 0 failed, 0 still pending.\n"
    )
    assert run("reconcile_payments", "--older-than", "0") == (
        "Checked 1 order(s): 1 placed, 0 failed, 0 still pending.\n"
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED


@pytest.mark.django_db
def test_reconcile_payments_refuses_a_negative_age():
    with pytest.raises(CommandError):
        run("reconcile_payments", "--older-than", "-1")


@pytest.mark.django_db
def test_expire_unpaid_orders_command():
    assert run("expire_unpaid_orders") == "Cancelled 0 unpaid order(s).\n"


def test_beat_runs_reconciliation_and_expiry():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["orders-reconcile-payments"]["task"] == "orders.tasks.reconcile_payments"
    assert schedule["orders-expire-unpaid-orders"]["task"] == "orders.tasks.expire_unpaid_orders"


def test_the_committed_state_diagram_matches_the_models():
    # Regenerate: manage.py order_state_diagram > docs/order-states.dot
    #             dot -Tsvg docs/order-states.dot -o docs/order-states.svg
    assert run("order_state_diagram") == (DOCS / "order-states.dot").read_text()
    assert (DOCS / "order-states.svg").read_text().lstrip().startswith("<?xml")


def test_beat_forgets_stale_cards_hourly_on_the_sweeps_queue():
    entry = settings.CELERY_BEAT_SCHEDULE["orders-forget-stale-cards"]

    assert entry["task"] == "orders.tasks.forget_stale_cards"
    assert entry["schedule"] == 3600.0
    assert settings.CELERY_TASK_ROUTES["orders.tasks.forget_stale_cards"] == {
        "queue": "reconciliation"
    }
