"""Order and payment figures for /metrics (shop/metrics.py), read at scrape time: grouped
counts over the orders and payment transactions, so the checkout path does no extra work."""

from __future__ import annotations

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from orders.models import Order, PaymentTransaction


def order_figures():
    by_status = GaugeMetricFamily(
        "emporium_orders", "Orders by status (placed, on_hold, cancelled, ...).", labels=["status"]
    )
    for row in Order.objects.order_by().values("status").annotate(n=Count("pk")):
        by_status.add_metric([row["status"]], row["n"])
    placed = GaugeMetricFamily(
        "emporium_orders_placed", "Orders ever placed (payment authorized at least once)."
    )
    placed.add_metric([], Order.objects.filter(placed_at__isnull=False).count())
    return [by_status, placed]


def payment_figures():
    outcomes = GaugeMetricFamily(
        "emporium_payment_transactions",
        "Gateway answers recorded, by kind (authorize, capture, ...) and outcome.",
        labels=["kind", "outcome"],
    )
    rows = PaymentTransaction.objects.order_by().values("kind", "outcome").annotate(n=Count("pk"))
    for row in rows:
        outcomes.add_metric([row["kind"], row["outcome"]], row["n"])
    return [outcomes]
