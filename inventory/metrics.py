"""Reservation figures for /metrics (shop/metrics.py), read at scrape time."""

from __future__ import annotations

from django.db.models import Count, Sum
from prometheus_client.core import GaugeMetricFamily

from inventory.models import OPEN_STATUSES, Reservation


def reservation_figures():
    count = GaugeMetricFamily(
        "emporium_reservations",
        "Open reservations (holding or being picked) by status.",
        labels=["status"],
    )
    units = GaugeMetricFamily(
        "emporium_reserved_units", "Units held by reservations, by status.", labels=["status"]
    )
    # Open ones only: released, expired and consumed rows pile up for ever.
    rows = (
        Reservation.objects.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), u=Sum("quantity"))
    )
    for row in rows:
        count.add_metric([row["status"]], row["n"])
        units.add_metric([row["status"]], row["u"] or 0)
    return [count, units]
