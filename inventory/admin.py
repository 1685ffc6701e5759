"""The inventory console: locations, stock with ATP, adjustments, transfers, holds, ledger.

Counters are read-only here: every change goes through `inventory.services`.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from inventory import selectors, services
from inventory.admin_drops import DropAdmin  # noqa: F401 - registers it
from inventory.admin_transfers import TransferAdmin  # noqa: F401 - registers it
from inventory.models import (
    Location,
    MarketRouting,
    Reservation,
    ReservationPolicy,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from inventory.resources import BoundedCSV, BoundedXLSX, StockLevelResource
from shop.exceptions import DomainError
from shop.forms import StorableTextModelForm
from shop.spreadsheets import SpreadsheetError


def _age(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = StorableTextModelForm  # shipping_costs is JSON: a "\u0000" escape is a form error
    list_display = ["code", "name", "kind", "country", "priority", "is_active", "last_count"]
    list_filter = ["kind", "is_active", "markets"]
    search_fields = ["code", "name"]
    filter_horizontal = ["markets"]
    readonly_fields = ["last_synced_at"]

    @admin.display(description=_("Last count"), ordering="last_synced_at")
    def last_count(self, obj):
        """How old the WMS count is; red when past the staleness budget (staff only)."""
        if obj.last_synced_at is None:
            return format_html('<span class="status-alert">{}</span>', _("never counted"))
        text = _("%(age)s ago") % {"age": _age(obj.count_age)}
        if obj.is_stale:
            return format_html(
                '<strong class="status-alert" title="{}">{} ⚠ stale</strong>',
                _("Older than the staleness budget"),
                text,
            )
        return text


class AdjustStockForm(forms.Form):
    sku = forms.CharField(max_length=64)
    location = forms.ModelChoiceField(queryset=Location.objects.active(), to_field_name="code")
    delta = forms.IntegerField(help_text=_("Units to add (positive) or remove (negative)."))
    reason = forms.CharField(max_length=255, help_text=_("Required: why the count changes."))


@admin.register(StockLevel)
class StockLevelAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [StockLevelResource]
    import_formats = [BoundedCSV, BoundedXLSX]  # read within bounds (shop.spreadsheets)
    list_display = [
        "variant",
        "location",
        "on_hand",
        "reserved",
        "in_transit_out",
        "in_transit_in",
        "safety_stock",
        "atp_here",
        "atp_total",
        "synced_at",
        "actions_column",
    ]
    list_select_related = ["variant", "location"]
    list_filter = ["location"]
    search_fields = ["variant__sku", "location__code"]
    readonly_fields = [
        "variant",
        "location",
        "on_hand",
        "reserved",
        "in_transit_out",
        "in_transit_in",
        "synced_at",
        "source",
    ]

    def get_fields(self, request, obj=None):
        return [*self.readonly_fields[:2], "safety_stock", *self.readonly_fields[2:]]

    def get_queryset(self, request):
        return selectors.with_atp(super().get_queryset(request))

    def has_add_permission(self, request):
        return False  # stock arrives through receipts, adjustments, counts and transfers

    def has_delete_permission(self, request, obj=None):
        return False

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, SpreadsheetError):  # our own sentence, not "ValueError encountered"
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def has_import_permission(self, request):
        return request.user.has_perm("inventory.sync_stock")

    def has_export_permission(self, request):
        return request.user.has_perm("inventory.view_stocklevel")

    @admin.display(description="ATP", ordering="atp_value")
    def atp_here(self, obj):
        return obj.atp_value

    @admin.display(description=_("ATP all locations"), ordering="total_atp")
    def atp_total(self, obj):
        return obj.total_atp

    @admin.display(description="")
    def actions_column(self, obj):
        query = urlencode({"sku": obj.variant.sku, "location": obj.location.code})
        ledger = (
            reverse("admin:inventory_stockmovement_changelist")
            + "?"
            + urlencode(
                {"variant__sku": obj.variant.sku, "location__code__exact": obj.location.code}
            )
        )
        return format_html(
            '<a href="{}?{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:inventory_stocklevel_adjust"),
            query,
            _("Adjust"),
            ledger,
            _("Ledger"),
        )

    def save_model(self, request, obj, form, change):
        # Only safety stock is editable; the counters belong to the services.
        services.set_safety_stock(
            variant=obj.variant,
            location=obj.location,
            safety_stock=form.cleaned_data["safety_stock"],
            actor=request.user,
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.adjust_view)
        return [path("adjust/", view, name="inventory_stocklevel_adjust"), *super().get_urls()]

    def adjust_view(self, request):
        if not request.user.has_perm("inventory.adjust_stock"):
            raise PermissionDenied
        form = AdjustStockForm(request.POST or None, initial=request.GET.dict())
        if request.method == "POST" and form.is_valid():
            try:
                movement = services.adjust_stock(
                    variant=form.cleaned_data["sku"].strip(),
                    location=form.cleaned_data["location"],
                    delta=form.cleaned_data["delta"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("%(sku)s at %(loc)s: %(delta)+d, on hand now %(after)d.")
                    % {
                        "sku": movement.variant.sku,
                        "loc": movement.location.code,
                        "delta": movement.delta,
                        "after": movement.on_hand_after,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:inventory_stocklevel_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Adjust stock"),
            "form": form,
        }
        return TemplateResponse(request, "admin/inventory/stocklevel/adjust.html", context)


class ActiveFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Holding stock")), *ReservationStatus.choices]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "variant",
        "location",
        "quantity",
        "status",
        "kind",
        "time_left_display",
        "owner",
        "created_at",
    ]
    list_select_related = ["variant", "location"]
    list_filter = [ActiveFilter, "kind", "location"]
    search_fields = ["public_id", "owner", "variant__sku"]
    readonly_fields = [f.name for f in Reservation._meta.fields]
    actions = ["release_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Time left"), ordering="expires_at")
    def time_left_display(self, obj):
        left = obj.time_left
        if left is None:
            return "—"
        if not left:
            return format_html('<span class="status-alert">{}</span>', _("expired"))
        return f"{int(left.total_seconds()) // 60}:{int(left.total_seconds()) % 60:02d}"

    @admin.action(description=_("Release selected reservations"), permissions=["change"])
    def release_selected(self, request, queryset):
        units = sum(services.release_stock(reservation=r) for r in queryset)
        self.message_user(request, _("Released %(n)d unit(s).") % {"n": units})


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "variant",
        "location",
        "kind",
        "delta",
        "on_hand_after",
        "reason",
        "reference",
        "actor",
    ]
    list_select_related = ["variant", "location", "actor"]
    list_filter = ["kind", "location__code"]
    search_fields = ["variant__sku", "reference", "reason"]
    date_hierarchy = "created_at"

    def lookup_allowed(self, lookup, value, request=None):
        # The "Ledger" link of a stock row filters by SKU, which no list filter offers.
        return lookup == "variant__sku" or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReservationPolicy)
class ReservationPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "product", "variant", "market", "mode", "ttl_seconds"]
    list_filter = ["mode", "market"]
    raw_id_fields = ["product", "variant"]


@admin.register(MarketRouting)
class MarketRoutingAdmin(admin.ModelAdmin):
    list_display = ["market", "strategy"]
