"""The orders changelist and the order page, read-only: an order changes only through the
buttons of orders/admin/actions.py, which call orders.services.

The changelist costs a fixed number of queries whatever the page holds (market joined; a
search on a line's SKU is an EXISTS, so orders are neither repeated nor fetched twice). The
order page reads the order with market, channel and customer joined, then one query per
inline: lines, shipments (and their lines), payment transactions, timeline (events with
their actor).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from orders.admin.actions import ACTIONS, OrderActionForm, available_actions
from orders.admin.fraud_admin import reasons_html
from orders.admin.fulfillment import OrderShipmentInline
from orders.admin.order_inlines import (
    OrderLineInline,
    PaymentTransactionInline,
    TimelineInline,
    address_html,
    money,
)
from orders.models import FraudAssessment, Order
from shop.exceptions import DomainError


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Find orders and act on them. Nobody adds, edits or deletes an order here: the page is
    read-only and the buttons call the services."""

    list_display = [
        "reference",
        "public_id",
        "created_at",
        "email",
        "market_code",
        "status",
        "payment_status",
        "order_total",
    ]
    list_display_links = ["reference", "public_id"]
    list_select_related = ["market"]
    list_filter = [
        "status",
        "payment_status",
        "market",
        ("placed_at", admin.DateFieldListFilter),
    ]
    date_hierarchy = "created_at"
    search_fields = ["=public_id", "=reference", "email", "=lines__sku"]
    search_help_text = _("Order id (ord_…), reference, e-mail (or part of it), or a line's SKU.")
    show_full_result_count = False  # the filtered count is enough; no second COUNT(*)
    inlines = [OrderLineInline, OrderShipmentInline, PaymentTransactionInline, TimelineInline]

    class Media:
        css = {"all": ["orders/admin.css"]}

    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("reference", "public_id"),
                    ("status", "payment_status"),
                    ("market", "channel", "currency"),
                    ("email", "customer"),
                    ("created_at", "placed_at"),
                    ("payment_due_at", "cancelled_at", "cancel_reason"),
                ]
            },
        ),
        (
            _("Money"),
            {
                "fields": [
                    ("subtotal", "discount_total", "tax_total"),
                    ("shipping", "order_total"),
                    ("authorized", "captured", "refunded"),
                    "prices_include_tax",
                ]
            },
        ),
        (_("Fraud check"), {"fields": ["fraud_check"]}),
        (_("Addresses"), {"fields": [("ship_to", "bill_to")]}),
        (
            _("Payment and tax"),
            {
                "fields": [
                    ("payment_gateway", "payment_attempts", "payment_attempted_at"),
                    "risk_score",
                    ("tax_provider", "tax_reference"),
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    readonly_fields = [
        "reference",
        "public_id",
        "status",
        "payment_status",
        "market",
        "channel",
        "currency",
        "email",
        "customer",
        "created_at",
        "placed_at",
        "payment_due_at",
        "cancelled_at",
        "cancel_reason",
        "subtotal",
        "discount_total",
        "tax_total",
        "shipping",
        "order_total",
        "authorized",
        "captured",
        "refunded",
        "prices_include_tax",
        "ship_to",
        "bill_to",
        "payment_gateway",
        "payment_attempts",
        "payment_attempted_at",
        "risk_score",
        "tax_provider",
        "tax_reference",
        "fraud_check",
    ]

    # --- who may do what: see and act, never add, edit or delete --------------------------

    def has_add_permission(self, request):
        return False  # orders come from checkout (orders.services.place_order)

    def has_change_permission(self, request, obj=None):
        return False  # the page is read-only; state changes are the buttons (actions.py)

    def has_delete_permission(self, request, obj=None):
        return False  # an order with a public id is cancelled, never deleted

    def get_object(self, request, object_id, from_field=None):
        """The order with market, channel and customer joined (one query for the page's
        header), read once per request: the page and its buttons both ask for it."""
        seen = request.__dict__.setdefault("_orders_admin_orders", {})
        if object_id not in seen:
            try:
                pk = self.opts.pk.to_python(unquote(object_id))
            except ValidationError:
                return None
            seen[object_id] = (
                self.get_queryset(request)
                .select_related("market", "channel", "customer")
                .filter(pk=pk)
                .first()
            )
        return seen[object_id]

    # --- the columns and fields ---------------------------------------------------------

    @admin.display(description=_("Market"), ordering="market__code")
    def market_code(self, order):
        return order.market.code

    @admin.display(description=_("Total"), ordering="total_cents")
    def order_total(self, order):
        return money(order.total_cents, order.currency)

    @admin.display(description=_("Subtotal"))
    def subtotal(self, order):
        return money(order.subtotal_cents, order.currency)

    @admin.display(description=_("Discounts"))
    def discount_total(self, order):
        return money(order.discount_total_cents, order.currency)

    @admin.display(description=_("Tax"))
    def tax_total(self, order):
        return money(order.tax_total_cents, order.currency)

    @admin.display(description=_("Shipping"))
    def shipping(self, order):
        return f"{order.shipping_method_name} ({order.shipping_method_code}): " + money(
            order.shipping_total_cents, order.currency
        )

    @admin.display(description=_("Authorized"))
    def authorized(self, order):
        return money(order.authorized_cents, order.currency)

    @admin.display(description=_("Captured"))
    def captured(self, order):
        return money(order.captured_cents, order.currency)

    @admin.display(description=_("Refunded"))
    def refunded(self, order):
        return money(order.refunded_total_cents, order.currency)

    @admin.display(description=_("Score and reasons"))
    def fraud_check(self, order):
        return reasons_html(FraudAssessment.objects.filter(order=order).first())

    @admin.display(description=_("Ship to"))
    def ship_to(self, order):
        return address_html(order.shipping_address)

    @admin.display(description=_("Bill to"))
    def bill_to(self, order):
        return address_html(order.billing_address) if order.billing_address else _("Same")

    # --- the buttons ----------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/act/<slug:action>/",
                self.admin_site.admin_view(self.action_view),
                name="orders_order_act",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        buttons = available_actions(order, request.user) if order is not None else []
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "order_actions": buttons}
        )

    def action_view(self, request, object_id, action):
        """Confirm (GET) and do (POST) one of the order's actions, through its service."""
        order = self.get_object(request, object_id)
        if order is None:
            raise Http404(_("No such order."))
        if not self.has_view_permission(request, order):
            raise PermissionDenied
        chosen = ACTIONS.get(action)
        if chosen is None:
            raise Http404(_("No such action."))
        if not chosen.may(request.user):
            raise PermissionDenied
        page = reverse("admin:orders_order_change", args=[order.pk])
        if chosen not in available_actions(order, request.user):
            self.message_user(
                request,
                _(
                    "%(action)s is not possible for order %(order)s now (it is %(state)s): "
                    "nothing was done."
                )
                % {"order": order, "action": chosen.label, "state": _state(order)},
                messages.ERROR,
            )
            return HttpResponseRedirect(page)
        form = OrderActionForm(
            request.POST if request.method == "POST" else None, order=order, action=chosen
        )
        if request.method == "POST" and form.is_valid():
            if form.is_stale:
                self.message_user(
                    request,
                    _(
                        "Order %(order)s changed while the page was open (it is %(state)s now): "
                        "nothing was done. Check it and try again."
                    )
                    % {"order": order, "state": _state(order)},
                    messages.WARNING,
                )
                return HttpResponseRedirect(page)
            try:
                done = chosen.run(order, request.user, form.cleaned_data)
            except DomainError as exc:
                self.message_user(request, f"{order}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Order %(order)s: %(done)s (%(state)s).")
                    % {"order": done, "done": chosen.done, "state": _state(done)},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(page)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{chosen.label}: {order}",
            "order": order,
            "action": chosen,
            "form": form,
            "amounts": [
                (_("Total"), money(order.total_cents, order.currency)),
                (_("Authorized"), money(order.authorized_cents, order.currency)),
                (_("Captured"), money(order.captured_cents, order.currency)),
                (_("Refunded"), money(order.refunded_total_cents, order.currency)),
            ],
        }
        return TemplateResponse(request, "admin/orders/order/action.html", context)


def _state(order: Order) -> str:
    status, payment = order.get_status_display(), order.get_payment_status_display()
    return f"{status.lower()}, payment {payment.lower()}"
