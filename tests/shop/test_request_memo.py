"""shop.request_memo: configuration read once per request, never kept across requests."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from orders.providers import tables
from shop import kill_switches, request_memo, services
from shop.models import KillSwitchKind

pytestmark = pytest.mark.django_db


def _count_reads(monkeypatch, module, name):
    reads = []
    real = getattr(module, name)

    def counted():
        reads.append(1)
        return real()

    monkeypatch.setattr(module, name, counted)
    return reads


def _in_a_request(view):
    """Run `view()` inside RequestMemoMiddleware, as a request does."""
    middleware = request_memo.RequestMemoMiddleware(lambda request: HttpResponse(view()))
    return middleware(RequestFactory().get("/")).content.decode()


def test_outside_a_request_every_call_reads(monkeypatch):
    reads = _count_reads(monkeypatch, kill_switches, "_read_switched_off")
    kill_switches.switched_off()
    kill_switches.switched_off()
    assert len(reads) == 2


def test_a_request_reads_switches_and_rate_tables_once_and_the_next_request_again(monkeypatch):
    switch_reads = _count_reads(monkeypatch, kill_switches, "_read_switched_off")
    table_reads = _count_reads(monkeypatch, tables, "_read_tables")

    def view():
        for _ in range(5):
            kill_switches.checkout_off("US")
            kill_switches.off_targets(KillSwitchKind.SHIPPING_METHOD)
            tables.rate_tables()
        return "ok"

    assert _in_a_request(view) == "ok"
    assert (len(switch_reads), len(table_reads)) == (1, 1)
    _in_a_request(view)
    assert (len(switch_reads), len(table_reads)) == (2, 2)


def test_a_flip_in_the_request_is_seen_by_that_request(django_capture_on_commit_callbacks):
    def view():
        before = kill_switches.checkout_off()
        with django_capture_on_commit_callbacks(execute=True):
            services.set_kill_switch(
                kind=KillSwitchKind.CHECKOUT, is_off=True, reason="incident drill"
            )
        return f"{before} {kill_switches.checkout_off()}"

    assert _in_a_request(view) == "False True"
