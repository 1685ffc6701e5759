"""The fulfillment console for Operations (docs/orders.md, "Fulfillment"; docs/runbooks.md).

/admin/orders/shipment/                     every shipment (filter by status, location, carrier)
/admin/orders/shipment/queue/               orders with units to ship, oldest first, per location
/admin/orders/shipment/create/<order>/      a shipment with per-line quantities
/admin/orders/shipment/<pk>/step/<step>/    pick, pack, ship (carrier, tracking), deliver, cancel
/admin/orders/shipment/<pk>/packing-slip/   printable (print stylesheet)
/admin/orders/shipment/deliveries/          a delivery CSV: preview, then mark delivered
/admin/orders/shipment/timeline/<order>/    events, shipments and payments together
/admin/orders/shipment/reroute/<order>/     move a line's held units to another location

Shipments are never added, edited or deleted through Django's forms: every button calls one
of orders.services, and a refusal comes back as a message or a form error. Seeing needs
`orders.view_shipment`; acting `orders.change_shipment` (creating `orders.add_shipment`):
the Operations group has both (shop/roles.py).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from inventory.models import Location
from orders import conf, selectors, services
from orders.admin.fulfillment_forms import (
    CreateShipmentForm,
    DeliveryCsvForm,
    ReasonForm,
    RerouteForm,
    ShipForm,
)
from orders.admin.order_inlines import address_html, money
from orders.exceptions import InvalidShipmentTransition
from orders.models import OPEN_SHIPMENT_STATUSES, Order, Shipment, ShipmentLine, ShipmentStatus
from orders.services.shipments import authorization_at_risk, find_shipments_by_tracking
from shop.exceptions import DomainError

SH = ShipmentStatus
# step -> (label, statuses it starts from, form, service call)
STEPS = {
    "picking": (_("Start picking"), [SH.PENDING], None),
    "pack": (_("Mark packed"), [SH.PICKING], None),
    "ship": (_("Ship"), OPEN_SHIPMENT_STATUSES, ShipForm),
    "deliver": (_("Mark delivered"), [SH.SHIPPED], None),
    "cancel": (_("Cancel shipment"), OPEN_SHIPMENT_STATUSES, ReasonForm),
    # Shown only while its capture is due (capture on shipment, the gateway refused before).
    "capture": (_("Capture shipped amount"), [SH.SHIPPED, SH.DELIVERED], None),
}


def _capture_due(shipment: Shipment) -> bool:
    return (
        not shipment.captured_cents
        and shipment.order.payment_status in ("authorized", "captured", "partially_refunded")
        and conf.capture_policy(shipment.order.market) == conf.CapturePolicy.ON_SHIPMENT
    )


def _run_step(step: str, shipment: Shipment, user, data: dict):
    if step == "picking":
        return services.start_picking_shipment(shipment=shipment, actor=user)
    if step == "pack":
        return services.pack_shipment(shipment=shipment, actor=user)
    if step == "ship":
        return services.ship_shipment(
            shipment=shipment,
            carrier=data.get("carrier") or None,
            tracking_number=data.get("tracking_number") or None,
            tracking_url=data.get("tracking_url") or None,
            actor=user,
        ).shipment
    if step == "deliver":
        return services.deliver_shipment(shipment=shipment, actor=user).shipment
    if step == "capture":
        if not services.capture_shipment_payment(shipment=shipment, actor=user):
            raise InvalidShipmentTransition(
                shipment=shipment, action="capture", detail=str(_("Nothing to capture."))
            )
        return Shipment.objects.get(pk=shipment.pk)
    return services.cancel_shipment(shipment=shipment, reason=data.get("reason", ""), actor=user)


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ["sku", "title", "quantity"]
    classes = ["order-records"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("SKU"))
    def sku(self, row):
        return row.order_line.sku

    @admin.display(description=_("Item"))
    def title(self, row):
        return row.order_line.title


class OrderShipmentInline(admin.TabularInline):
    """The order page's parcels: each links to its shipment page (the buttons are there)."""

    model = Shipment
    verbose_name_plural = _("Shipments")
    extra = 0
    can_delete = False
    show_change_link = True
    classes = ["order-records"]
    fields = readonly_fields = [
        "public_id",
        "location",
        "status",
        "items",
        "carrier",
        "tracking_number",
        "shipped_at",
        "delivered_at",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("location")
            .prefetch_related(
                Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line"))
            )
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Items"))
    def items(self, shipment):
        return ", ".join(f"{sl.quantity}× {sl.order_line.sku}" for sl in shipment.lines.all())


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "order_reference",
        "location",
        "status",
        "carrier",
        "tracking_number",
        "created_at",
        "shipped_at",
        "delivered_at",
    ]
    list_filter = ["status", "location", "carrier"]
    list_select_related = ["order", "location"]
    search_fields = ["=public_id", "=tracking_number", "=order__reference", "=order__public_id"]
    search_help_text = _("Shipment id (shp_…), tracking number, order reference or id.")
    show_full_result_count = False
    inlines = [ShipmentLineInline]
    fields = readonly_fields = [
        "public_id",
        "order_link",
        "location",
        "status",
        "carrier",
        "tracking_number",
        "tracking_url",
        "captured",
        "created_by",
        "created_at",
        "picking_at",
        "packed_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "cancel_reason",
    ]

    class Media:
        css = {"all": ["orders/admin.css", "orders/fulfillment.css"]}

    def has_add_permission(self, request):
        return False  # through the create page (per-line quantities), not Django's form

    def has_change_permission(self, request, obj=None):
        return False  # read-only; the buttons call the services

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Order"), ordering="order__reference")
    def order_reference(self, shipment):
        return shipment.order.reference

    @admin.display(description=_("Order"))
    def order_link(self, shipment):
        from django.utils.html import format_html

        url = reverse("admin:orders_order_change", args=[shipment.order_id])
        return format_html('<a href="{}">{}</a>', url, shipment.order.reference)

    @admin.display(description=_("Captured"))
    def captured(self, shipment):
        return money(shipment.captured_cents, shipment.order.currency)

    # --- pages ------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("queue/", view(self.queue_view), name="orders_shipment_queue"),
            path("create/<int:order_pk>/", view(self.create_view), name="orders_shipment_create"),
            path("deliveries/", view(self.deliveries_view), name="orders_shipment_deliveries"),
            path(
                "timeline/<int:order_pk>/",
                view(self.timeline_view),
                name="orders_shipment_timeline",
            ),
            path(
                "reroute/<int:order_pk>/", view(self.reroute_view), name="orders_shipment_reroute"
            ),
            path(
                "<int:pk>/packing-slip/",
                view(self.packing_slip_view),
                name="orders_shipment_packing_slip",
            ),
            path("<int:pk>/step/<slug:step>/", view(self.step_view), name="orders_shipment_step"),
            *super().get_urls(),
        ]

    def _require(self, request, perm: str) -> None:
        if not request.user.has_perm(f"orders.{perm}_shipment"):
            raise PermissionDenied

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, **extra}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        shipment = self.get_object(request, object_id)
        steps = []
        if shipment is not None and request.user.has_perm("orders.change_shipment"):
            steps = [
                (name, label)
                for name, (label, sources, _f) in STEPS.items()
                if shipment.status in sources and (name != "capture" or _capture_due(shipment))
            ]
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "shipment_steps": steps}
        )

    def queue_view(self, request):
        """Orders placed and not fully shipped, oldest first, with their age."""
        self._require(request, "view")
        location = None
        code = request.GET.get("location") or ""
        if code:
            location = Location.objects.filter(code=code[:40]).first()
            if location is None:
                messages.error(request, _("Unknown location: %(code)s.") % {"code": code[:40]})
        page = Paginator(selectors.fulfillment_queue(location=location), 100).get_page(
            request.GET.get("page")
        )
        orders = list(page.object_list)
        places = selectors.holding_locations(orders)
        picking = selectors.open_shipment_units(orders)
        now = timezone.now()
        rows = [
            {
                "order": order,
                "age": timesince(order.placed_at, now) if order.placed_at else "—",
                "left": (order.units_ordered or 0)
                - (order.units_shipped or 0)
                - (order.units_cancelled or 0),
                "in_shipments": picking.get(order.pk, 0),
                "locations": places.get(order.public_id, []),
                "auth_at_risk": authorization_at_risk(order, now),
            }
            for order in orders
        ]
        return TemplateResponse(
            request,
            "admin/orders/shipment/queue.html",
            self._context(
                request,
                title=_("Fulfillment queue"),
                rows=rows,
                page=page,
                location=location,
                locations=Location.objects.active().order_by("priority", "code"),
            ),
        )

    def create_view(self, request, order_pk):
        self._require(request, "add")
        order = get_object_or_404(Order.objects.select_related("market"), pk=order_pk)
        form = CreateShipmentForm(request.POST if request.method == "POST" else None, order=order)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                shipment = services.create_shipment(
                    order=order,
                    lines=form.line_quantities(),
                    location=data["location"],
                    carrier=data.get("carrier") or "",
                    tracking_number=data.get("tracking_number") or "",
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Shipment %(id)s created for order %(order)s.")
                    % {"id": shipment.public_id, "order": order.reference},
                )
                return HttpResponseRedirect(
                    reverse("admin:orders_shipment_change", args=[shipment.pk])
                )
        return TemplateResponse(
            request,
            "admin/orders/shipment/create.html",
            self._context(
                request, title=_("New shipment for %(o)s") % {"o": order}, order=order, form=form
            ),
        )

    def step_view(self, request, pk, step):
        if step not in STEPS:
            raise Http404(_("No such step."))
        self._require(request, "change")
        shipment = get_object_or_404(Shipment.objects.select_related("order", "location"), pk=pk)
        label, sources, form_class = STEPS[step]
        page = reverse("admin:orders_shipment_change", args=[shipment.pk])
        form = (form_class or ReasonForm)(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                done = _run_step(step, shipment, request.user, form.cleaned_data)
            except DomainError as exc:
                if form_class is None:
                    messages.error(request, f"{shipment}: {exc}")
                    return HttpResponseRedirect(page)
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Shipment %(id)s: %(step)s done (%(status)s).")
                    % {"id": done.public_id, "step": label, "status": done.get_status_display()},
                )
                return HttpResponseRedirect(page)
        if shipment.status not in sources:
            messages.error(
                request,
                _("%(step)s is not possible for shipment %(id)s (it is %(status)s).")
                % {"step": label, "id": shipment.public_id, "status": shipment.status},
            )
            return HttpResponseRedirect(page)
        return TemplateResponse(
            request,
            "admin/orders/shipment/step.html",
            self._context(
                request,
                title=f"{label}: {shipment.public_id}",
                shipment=shipment,
                step=step,
                step_label=label,
                form=form if form_class else None,
                lines=shipment.lines.select_related("order_line"),
            ),
        )

    def packing_slip_view(self, request, pk):
        self._require(request, "view")
        shipment = get_object_or_404(
            Shipment.objects.select_related("order__market", "location"), pk=pk
        )
        return TemplateResponse(
            request,
            "admin/orders/shipment/packing_slip.html",
            {
                "shipment": shipment,
                "order": shipment.order,
                "lines": shipment.lines.select_related("order_line").order_by("order_line_id"),
                "ship_to": address_html(shipment.order.shipping_address),
                "printed_at": timezone.now(),
            },
        )

    def deliveries_view(self, request):
        """A delivery CSV: upload, preview (every row found, nothing changed), confirm."""
        self._require(request, "change")
        form = DeliveryCsvForm(request.POST or None, request.FILES or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            rows = form.cleaned_data["rows"]
            found, unknown = find_shipments_by_tracking(number for number, _w in rows)
            preview = {
                "rows": [(n, when, found.get(n)) for n, when in rows],
                "unknown": unknown,
                "csv_text": form.cleaned_data["csv_text"],
            }
            if form.cleaned_data.get("confirm") and not unknown:
                try:
                    done = services.deliver_by_tracking_numbers(rows=rows, actor=request.user)
                except DomainError as exc:
                    form.add_error(None, str(exc))
                else:
                    changed = sum(1 for result in done if result.applied)
                    messages.success(
                        request,
                        _("%(n)d parcel(s) marked delivered (%(same)d were already).")
                        % {"n": changed, "same": len(done) - changed},
                    )
                    return HttpResponseRedirect(reverse("admin:orders_shipment_changelist"))
            elif unknown:
                form.add_error(
                    None,
                    _("Unknown tracking number(s): %(list)s. Nothing will be marked delivered.")
                    % {"list": ", ".join(unknown[:20])},
                )
        return TemplateResponse(
            request,
            "admin/orders/shipment/deliveries.html",
            self._context(
                request, title=_("Mark delivered from a CSV"), form=form, preview=preview
            ),
        )

    def timeline_view(self, request, order_pk):
        self._require(request, "view")
        order = get_object_or_404(Order.objects.select_related("market"), pk=order_pk)
        return TemplateResponse(
            request,
            "admin/orders/shipment/timeline.html",
            self._context(
                request,
                title=_("Timeline of %(o)s") % {"o": order},
                order=order,
                entries=selectors.order_timeline(order),
            ),
        )

    def reroute_view(self, request, order_pk):
        self._require(request, "change")
        order = get_object_or_404(Order.objects.select_related("market"), pk=order_pk)
        form = RerouteForm(request.POST if request.method == "POST" else None, order=order)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.reroute_line(
                    order=order,
                    line=data["line"],
                    source=data["source"],
                    destination=data["destination"],
                    quantity=data["quantity"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("%(n)d × %(sku)s now held at %(to)s.")
                    % {
                        "n": data["quantity"],
                        "sku": data["line"].sku,
                        "to": data["destination"].code,
                    },
                )
                return HttpResponseRedirect(
                    reverse("admin:orders_shipment_create", args=[order.pk])
                )
        return TemplateResponse(
            request,
            "admin/orders/shipment/reroute.html",
            self._context(
                request, title=_("Re-route units of %(o)s") % {"o": order}, order=order, form=form
            ),
        )
