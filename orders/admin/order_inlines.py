"""The order page's read-only rows (lines, payment transactions, timeline) and the small
formatters the orders admin shares (money, an address snapshot, a payload)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from orders.models import OrderEvent, OrderLine, PaymentTransaction
from orders.selectors import can_view_all_orders
from shop.money import Money

ADDRESS_LINES = (("name",), ("line1",), ("line2",), ("postal_code", "city"), ("region",))


def money(cents: int | None, currency: str) -> str:
    return "—" if cents is None else str(Money(cents, currency))


def address_html(address: dict):
    """An address snapshot as the label on a parcel would read."""
    if not address:
        return "—"
    rows = [" ".join(str(address[k]) for k in keys if address.get(k)) for keys in ADDRESS_LINES]
    rows.append(address.get("country", ""))
    if address.get("phone"):
        rows.append(address["phone"])
    return format_html_join("", "{}<br>", ((row,) for row in rows if row))


class ReadOnlyInline(admin.TabularInline):
    """Rows of the order shown as they are: nothing added, changed or deleted here. Whoever
    may see the order sees them."""

    extra = 0
    can_delete = False
    show_change_link = False
    classes = ["order-records"]

    def has_view_permission(self, request, obj=None):
        return can_view_all_orders(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    verbose_name_plural = _("Lines")
    fields = readonly_fields = [
        "sku",
        "description",
        "quantity",
        "unit_price",
        "subtotal",
        "discount",
        "tax",
        "total",
        "quantity_fulfilled",
        "quantity_cancelled",
        "quantity_returned",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    @admin.display(description=_("Item"))
    def description(self, line):
        options = ", ".join(f"{k}: {v}" for k, v in (line.option_values or {}).items())
        return f"{line.title} ({options})" if options else line.title

    @admin.display(description=_("Unit price"))
    def unit_price(self, line):
        return money(line.unit_price_cents, line.order.currency)

    @admin.display(description=_("Subtotal"))
    def subtotal(self, line):
        return money(line.subtotal_cents, line.order.currency)

    @admin.display(description=_("Discount"))
    def discount(self, line):
        return money(line.discount_cents, line.order.currency)

    @admin.display(description=_("Tax"))
    def tax(self, line):
        rate = f"{line.tax_rate_ppm / 10_000:g} %"
        return f"{money(line.tax_cents, line.order.currency)} ({rate})"

    @admin.display(description=_("Total"))
    def total(self, line):
        return money(line.total_cents, line.order.currency)


class PaymentTransactionInline(ReadOnlyInline):
    model = PaymentTransaction
    verbose_name_plural = _("Payments")
    fields = readonly_fields = [
        "created_at",
        "kind",
        "outcome",
        "amount",
        "gateway",
        "gateway_reference",
        "idempotency_key",
        "answer",
    ]

    @admin.display(description=_("Amount"))
    def amount(self, row):
        return money(row.amount_cents, row.currency)

    @admin.display(description=_("Gateway's answer"))
    def answer(self, row):
        return _summary(row.response)


class TimelineInline(ReadOnlyInline):
    """The order's events, oldest first: what happened, the states it moved, who did it."""

    model = OrderEvent
    verbose_name_plural = _("Timeline")
    classes = ["order-records", "order-timeline"]
    fields = readonly_fields = [
        "created_at",
        "type",
        "order_change",
        "payment_change",
        "by",
        "details",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("created_at", "pk")

    @admin.display(description=_("Order"))
    def order_change(self, event):
        return _change(event.from_status, event.to_status)

    @admin.display(description=_("Payment"))
    def payment_change(self, event):
        return _change(event.from_payment_status, event.to_payment_status)

    @admin.display(description=_("By"))
    def by(self, event):
        return event.actor.email if event.actor_id else (event.actor_label or "system")

    @admin.display(description=_("Details"))
    def details(self, event):
        return _summary(event.payload)


def _summary(data: dict) -> str:
    """{"status": "authorized", "reference": ""} -> "status: authorized" (no empty values)."""
    return ", ".join(f"{k}: {v}" for k, v in (data or {}).items() if v not in ("", None))


def _change(before: str, after: str) -> str:
    if before == after:
        return before or "—"
    return f"{before or '—'} → {after}"
