"""Admin for merchandisers: the promotion editor, coupon generation and CSV export, usage so
far, a simulate page, and import/export in the rule shape of API.md. Every write goes
through promotions.services."""

from __future__ import annotations

import csv
import zoneinfo
from datetime import UTC

import yaml
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from promotions import services
from promotions.admin_forms import (
    GenerateCouponsForm,
    ImportPromotionsForm,
    PromotionForm,
    SimulateForm,
)
from promotions.engine import parse_rule, rule_to_entry
from promotions.exceptions import PromotionImportFailed
from promotions.importing import load_entries
from promotions.models import Coupon, Promotion, Redemption
from promotions.simulate import parse_lines, simulate
from shop.money import Money

FIELDSETS = [
    (None, {"fields": ["id", "name", "status", "priority", "stacks_with"]}),
    (
        _("When (in the market's time zone)"),
        {"fields": ["time_zone", "starts_at_local", "ends_at_local"]},
    ),
    (
        _("Who and where"),
        {
            "fields": [
                "customer_segment",
                "markets",
                "channels",
                "first_order_only",
                "coupon_required",
            ]
        },
    ),
    (
        _("What the cart must contain"),
        {
            "fields": [
                "any_of_categories",
                "all_of_categories",
                "any_of_products",
                "any_of_skus",
                "min_quantity",
                "min_subtotal_cents",
                "min_subtotal_of",
            ]
        },
    ),
    (
        _("Discount"),
        {
            "fields": [
                "action_type",
                "value",
                "value_by_currency",
                "applies_to",
                "max_discount_cents",
                "buy_quantity",
                "get_quantity",
                "get_percent_off",
                "gift_sku",
                "shipping_methods",
            ]
        },
    ),
    (
        _("Never discounted"),
        {
            "fields": [
                "excluded_skus",
                "excluded_categories",
                "excluded_products",
                "exclude_sale_items",
            ]
        },
    ),
    (
        _("Limits and codes"),
        {"fields": ["total_uses", "per_customer", "budget_cents", "codes", "uses_per_code"]},
    ),
]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionForm
    fieldsets = FIELDSETS
    list_display = [
        "id",
        "name",
        "status",
        "priority",
        "window",
        "usage",
        "budget",
        "tools",
    ]
    list_filter = ["status"]
    search_fields = ["id", "name", "coupons__code"]
    actions = ["activate", "pause", "end", "export_selected"]
    change_list_template = "admin/promotions/promotion/change_list.html"

    @admin.display(description=_("Live (market time)"), ordering="starts_at")
    def window(self, obj):
        """The window in the time zone of the promotion's first market (as edited)."""
        zone = zoneinfo.ZoneInfo(
            PromotionForm._zone_for(obj.rule.get("conditions", {}).get("markets"))
        )

        def shown(when):
            return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if when else "…"

        return f"{shown(obj.starts_at)} → {shown(obj.ends_at)}"

    @admin.display(description=_("Uses"))
    def usage(self, obj):
        limit = obj.total_uses if obj.total_uses is not None else "∞"
        return f"{obj.uses_count} / {limit}"

    @admin.display(description=_("Given / budget"))
    def budget(self, obj):
        currency = (obj.redemptions.values_list("currency", flat=True).first()) or ""
        given = Money(obj.discount_given_cents, currency) if currency else obj.discount_given_cents
        return f"{given} / {obj.budget_cents if obj.budget_cents is not None else '∞'}"

    @admin.display(description=_("Codes"))
    def tools(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:promotions_promotion_generate", args=[obj.pk]),
            _("generate"),
            reverse("admin:promotions_promotion_codes_csv", args=[obj.pk]),
            _("CSV"),
        )

    def save_model(self, request, obj, form, change):
        promotion = services.save_promotion(form.entry, actor=request.user)
        obj.pk = promotion.pk
        for warning in form.warnings:
            messages.warning(request, warning)

    def delete_model(self, request, obj):
        services.set_promotion_status(promotion=obj, status="ended", actor=request.user)
        messages.info(request, _("Promotions with history are ended, not deleted."))

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Activate"))
    def activate(self, request, queryset):
        self._status(request, queryset, "active")

    @admin.action(description=_("Pause"))
    def pause(self, request, queryset):
        self._status(request, queryset, "paused")

    @admin.action(description=_("End"))
    def end(self, request, queryset):
        self._status(request, queryset, "ended")

    def _status(self, request, queryset, status):
        for promotion in queryset:
            services.set_promotion_status(promotion=promotion, status=status, actor=request.user)
        messages.success(
            request, _("%(n)d promotion(s) now %(s)s.") % {"n": len(queryset), "s": status}
        )

    @admin.action(description=_("Export as YAML (rule shape)"))
    def export_selected(self, request, queryset):
        entries = [rule_to_entry(parse_rule(p.rule)) for p in queryset.order_by("pk")]
        response = HttpResponse(
            yaml.safe_dump(entries, sort_keys=False, allow_unicode=True),
            content_type="application/yaml; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="promotions.yaml"'
        return response

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="promotions_promotion_import"),
            path("simulate/", wrap(self.simulate_view), name="promotions_promotion_simulate"),
            path(
                "<str:pk>/generate/",
                wrap(self.generate_view),
                name="promotions_promotion_generate",
            ),
            path(
                "<str:pk>/codes.csv",
                wrap(self.codes_csv_view),
                name="promotions_promotion_codes_csv",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template, title, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                **context,
            },
        )

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:promotions_promotion_changelist")
        form = ImportPromotionsForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data.get("file")
            text = upload.read() if upload else form.cleaned_data["text"]
            try:
                saved = services.import_promotions(load_entries(text), actor=request.user)
            except PromotionImportFailed as exc:
                errors = exc.errors
            else:
                messages.success(request, _("Imported %(n)d promotion(s).") % {"n": len(saved)})
                return redirect("admin:promotions_promotion_changelist")
        return self._page(
            request,
            "admin/promotions/promotion/import.html",
            _("Import promotions"),
            form=form,
            errors=errors,
        )

    def generate_view(self, request, pk):
        promotion = get_object_or_404(Promotion, pk=pk)
        if not self.has_change_permission(request, promotion):
            return redirect("admin:promotions_promotion_changelist")
        form = GenerateCouponsForm(request.POST or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                created = services.generate_coupons(
                    promotion=promotion,
                    count=form.cleaned_data["count"],
                    pattern=form.cleaned_data["pattern"],
                    uses_allowed=form.cleaned_data.get("uses_per_code"),
                    actor=request.user,
                )
            except PromotionImportFailed as exc:
                errors = exc.errors
            else:
                messages.success(request, _("%(n)d codes created.") % {"n": len(created)})
                return redirect("admin:promotions_promotion_codes_csv", pk=pk)
        return self._page(
            request,
            "admin/promotions/promotion/generate.html",
            _("Generate codes for %(name)s") % {"name": promotion.name},
            form=form,
            errors=errors,
            promotion=promotion,
        )

    def codes_csv_view(self, request, pk):
        promotion = get_object_or_404(Promotion, pk=pk)
        if not self.has_view_permission(request, promotion):
            return redirect("admin:promotions_promotion_changelist")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{promotion.pk}-codes.csv"'
        writer = csv.writer(response)
        writer.writerow(["code", "promotion", "uses_allowed", "uses_count", "active"])
        for c in promotion.coupons.order_by("code").iterator():
            writer.writerow(
                [
                    c.code,
                    promotion.pk,
                    "" if c.uses_allowed is None else c.uses_allowed,
                    c.uses_count,
                    "yes" if c.is_active else "no",
                ]
            )
        return response

    def simulate_view(self, request):
        form = SimulateForm(request.POST or None)
        outcome, error = None, ""
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                lines = parse_lines(data["lines"])
            except ValueError as exc:
                form.add_error("lines", str(exc))
            else:
                at = data.get("at")
                outcome = simulate(
                    market=data["market"],
                    channel=data["channel"],
                    lines=lines,
                    segments={s.strip() for s in data.get("segments", "").split(",") if s.strip()},
                    is_first_order=data.get("first_order", False),
                    codes=[c for c in data.get("codes", "").replace(",", " ").split() if c],
                    now=at.replace(tzinfo=UTC) if at else timezone.now(),
                    include_drafts=data.get("include_drafts", False),
                    shipping_method=data.get("shipping_method", ""),
                    shipping_cents=data.get("shipping_cents"),
                )
        rows = []
        if outcome:
            currency = outcome.context.currency
            for applied in outcome.result.applied:
                rows.append(
                    {
                        "id": applied.promotion_id,
                        "name": applied.name,
                        "applies": True,
                        "amount": Money(applied.amount_cents, currency),
                        "detail": ", ".join(
                            f"{k}: {Money(c, currency)}" for k, c in applied.line_discounts
                        )
                        + (" · free shipping" if applied.free_shipping else ""),
                    }
                )
            for miss in outcome.result.not_applied:
                rows.append(
                    {
                        "id": miss.promotion_id,
                        "name": miss.name,
                        "applies": False,
                        "amount": "",
                        "detail": miss.reason
                        + (f" — {miss.hint(currency)}" if miss.hint(currency) else ""),
                    }
                )
        return self._page(
            request,
            "admin/promotions/promotion/simulate.html",
            _("Simulate a cart"),
            form=form,
            outcome=outcome,
            rows=rows,
            error=error,
        )


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "promotion", "uses_count", "uses_allowed", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["code", "promotion__id", "promotion__name"]
    readonly_fields = [
        "code",
        "promotion",
        "uses_count",
        "uses_allowed",
        "is_active",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = [
        "promotion",
        "order_ref",
        "coupon",
        "amount_cents",
        "currency",
        "gift_sku",
        "email",
        "status",
        "created_at",
    ]
    list_filter = ["status", "promotion"]
    search_fields = ["order_ref", "email", "coupon__code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from promotions import admin_segments  # noqa: E402, F401 - registers SegmentAdmin
