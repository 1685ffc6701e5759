"""/metrics: Prometheus text for staff and allow-listed addresses, a 404 for anyone else;
request latency per view; business figures read at scrape time."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from shop import metrics
from tests.factories.shop import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.9"  # TEST-NET-3: not on the allow-list


def samples(response) -> dict:
    """{(name, frozenset(labels)): value} of a /metrics answer."""
    text = response.content.decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_loopback_reads_the_metrics_in_prometheus_text(client):
    response = client.get("/metrics")  # the test client's address is 127.0.0.1

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    assert "# TYPE emporium_request_duration_seconds histogram" in response.content.decode()


def test_anyone_else_gets_a_404(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE)

    assert response.status_code == 404
    assert b"emporium_" not in response.content


def test_a_signed_in_customer_outside_the_list_gets_a_404(client):
    client.force_login(UserFactory())

    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 404


def test_staff_read_the_metrics_from_anywhere(client):
    client.force_login(StaffFactory())

    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200


def test_the_allow_list_takes_networks(client, settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("203.0.113.0/24")]

    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed


def test_a_forged_forwarded_for_does_not_pass_without_proxies(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 404


def test_request_latency_is_observed_per_view(client):
    before = samples(client.get("/metrics"))
    key = (
        "emporium_request_duration_seconds_count",
        frozenset({"view": "healthz", "method": "GET", "status": "2xx"}.items()),
    )

    client.get("/healthz")
    client.get("/healthz")
    after = samples(client.get("/metrics"))

    assert after[key] - before.get(key, 0) == 2
    bucket = (
        "emporium_request_duration_seconds_bucket",
        frozenset({"view": "healthz", "method": "GET", "status": "2xx", "le": "+Inf"}.items()),
    )
    assert after[bucket] == after[key]


def test_an_unresolved_path_is_one_label_not_the_path(client):
    # Letters only: a path of digits can turn up inside a sample's timestamp by chance.
    client.get("/no/such/page/zqxjwvk")

    text = client.get("/metrics").content.decode()
    assert 'view="unresolved"' in text
    assert "zqxjwvk" not in text


def test_business_figures_are_read_at_scrape_time(client, redis_broker):
    from orders.models import Order
    from tests.factories.catalog import VariantFactory
    from tests.factories.inventory import LocationFactory, stock
    from tests.factories.orders import checkout_ready_cart, place

    variant = VariantFactory(sku="TEE-RED-M", prices={"USD": 2500})
    stock(variant, LocationFactory(code="us-east", country="US"), 10)
    place(checkout_ready_cart(lines=[(variant, 2)]))
    redis_broker.lpush("mail", "a", "b", "c")

    figures = samples(client.get("/metrics"))

    assert Order.objects.get().status == "placed"
    assert figures[("emporium_orders", frozenset({("status", "placed")}))] == 1
    assert figures[("emporium_orders_placed", frozenset())] == 1
    outcome = frozenset({("kind", "authorize"), ("outcome", "succeeded")})
    assert figures[("emporium_payment_transactions", outcome)] == 1
    assert figures[("emporium_reservations", frozenset({("status", "committed")}))] == 1
    assert figures[("emporium_reserved_units", frozenset({("status", "committed")}))] == 2
    assert figures[("emporium_queue_depth", frozenset({("queue", "mail")}))] == 3
    assert figures[("emporium_queue_cap", frozenset({("queue", "mail")}))] == 10_000
    assert figures[("emporium_deferred_tasks", frozenset({("queue", "mail")}))] == 0
    assert ("emporium_cache_hits_total", frozenset()) in figures
    for source in ("orders", "payments", "reservations", "queues", "cache", "deferred_tasks"):
        assert figures[("emporium_metrics_source_up", frozenset({("source", source)}))] == 1


def test_a_failing_source_is_reported_and_the_rest_still_served(client, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(metrics._sources, "queues", broken)

    figures = samples(client.get("/metrics"))

    assert figures[("emporium_metrics_source_up", frozenset({("source", "queues")}))] == 0
    assert figures[("emporium_metrics_source_up", frozenset({("source", "orders")}))] == 1


MULTIPROCESS_SCRIPT = """
import os, sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
for _ in range(int(sys.argv[1])):
    client.get("/healthz")
if sys.argv[2] == "scrape":
    sys.stdout.write(client.get("/metrics").content.decode())
"""


@pytest.mark.django_db(transaction=True)
def test_with_a_multiprocess_dir_a_scrape_adds_up_every_worker(tmp_path):
    """Three processes, as three gunicorn workers: two answer /healthz, the third scrapes."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }

    def run(count, mode):
        return subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_SCRIPT, str(count), mode],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    run(2, "quiet")
    run(3, "quiet")
    text = run(1, "scrape")

    counts = {
        s.labels["view"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "emporium_request_duration_seconds_count" and s.labels["status"] == "2xx"
    }
    assert counts["healthz"] == 6  # 2 + 3 + the scraper's own 1
