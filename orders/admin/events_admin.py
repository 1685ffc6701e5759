"""Every order's timeline in one list, read-only (OrderEvent rows are append-only)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orders.models import OrderEvent
from orders.selectors import can_view_all_orders
from orders.services.events import EventType


class EventTypeFilter(admin.SimpleListFilter):
    """The event types the services write, listed from code rather than by a DISTINCT over
    the whole (ever-growing) event table on every page."""

    title = _("type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        names = {v for k, v in vars(EventType).items() if k.isupper()}
        # Notes the services append (they move no state, so EventType does not list them).
        names |= {"payment.void_failed", "payment.review_required", "payment.refund_failed"}
        return [(name, name) for name in sorted(names)]

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    """Every order's timeline in one list (e.g. to find `payment.void_failed` or
    `payment.review_required` notes). Append-only: nothing is added, changed or deleted here."""

    list_display = ["created_at", "order_link", "type", "from_status", "to_status", "by"]
    list_select_related = ["order", "actor"]
    list_filter = [EventTypeFilter]
    search_fields = ["=order__reference", "=order__public_id", "=event_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return can_view_all_orders(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Order"), ordering="order__reference")
    def order_link(self, event):
        url = reverse("admin:orders_order_change", args=[event.order_id])
        return format_html('<a href="{}">{}</a>', url, event.order.reference)

    @admin.display(description=_("By"))
    def by(self, event):
        return event.actor.email if event.actor_id else (event.actor_label or "system")
