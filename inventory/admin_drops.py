"""The drop console: put a product or a variant in drop mode, with a start time and limits.

Saves go through inventory.services.drops (schedule_drop); its refusals (a start time in the
past or more than a year ahead, a limit below 1) come back on the fields, nothing saved.
Drops are ended, never deleted; "Reload gate tokens" sets a drop's Redis tokens to ATP.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory import drop_gate, selectors
from inventory.models import Drop
from inventory.services import drops as drop_services
from shop.admin_mixins import ServiceSaveMixin
from shop.exceptions import DomainError


class DropForm(forms.ModelForm):
    # Plain integers: the service says what a limit must be (at least 1), in its words.
    per_order_limit = forms.IntegerField(
        required=False, help_text=Drop._meta.get_field("per_order_limit").help_text
    )
    per_customer_limit = forms.IntegerField(
        required=False, help_text=Drop._meta.get_field("per_customer_limit").help_text
    )

    class Meta:
        model = Drop
        fields = ["product", "variant", "starts_at", "per_order_limit", "per_customer_limit"]


@admin.register(Drop)
class DropAdmin(ServiceSaveMixin, admin.ModelAdmin):
    form = DropForm
    list_display = [
        "__str__",
        "product",
        "variant",
        "starts_at",
        "per_order_limit",
        "per_customer_limit",
        "state",
        "tokens",
    ]
    list_select_related = ["product", "variant"]
    list_filter = ["ended_at"]
    search_fields = ["variant__sku", "product__handle"]
    raw_id_fields = ["product", "variant"]
    readonly_fields = ["ended_at"]
    actions = ["end_selected", "reload_tokens_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # the target of a drop is fixed; end it and open another
            return [*self.readonly_fields, "product", "variant"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # ended, never deleted: orders placed in it keep their history

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.ended_at is not None:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("State"))
    def state(self, obj):
        if obj.ended_at is not None:
            return _("ended")
        return _("live") if obj.starts_at <= timezone.now() else _("scheduled")

    @admin.display(description=_("Gate tokens"))
    def tokens(self, obj):
        if obj.ended_at is not None:
            return "—"
        counts = [
            drop_gate.token_count(rule)
            for rule in selectors.list_drop_rules()
            if rule.drop_id == obj.pk
        ]
        known = [c for c in counts if c is not None]
        return sum(known) if known else _("not loaded")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = self.call_service(
            drop_services.schedule_drop,
            drop=obj if change else None,
            product=None if change else data.get("product"),
            variant=None if change else data.get("variant"),
            starts_at=data.get("starts_at"),
            per_order_limit=data.get("per_order_limit"),
            per_customer_limit=data.get("per_customer_limit"),
            actor=request.user,
        )
        form.instance.pk = saved.pk  # the add view logs and redirects with this object

    @admin.action(description=_("End selected drops"), permissions=["change"])
    def end_selected(self, request, queryset):
        for drop in queryset:
            drop_services.end_drop(drop=drop, actor=request.user)
        self.message_user(request, _("Ended."), messages.SUCCESS)

    @admin.action(description=_("Reload gate tokens from stock (ATP)"), permissions=["change"])
    def reload_tokens_selected(self, request, queryset):
        for drop in queryset.filter(ended_at__isnull=True):
            try:
                loaded = drop_services.resync_drop_tokens(drop=drop)
            except (ConnectionError, DomainError, OSError) as exc:
                self.message_user(request, f"{drop}: {exc}", messages.ERROR)
                continue
            except Exception as exc:  # noqa: BLE001 - redis errors: say so, change nothing
                self.message_user(request, f"{drop}: Redis unavailable ({exc})", messages.ERROR)
                continue
            summary = ", ".join(f"{sku}: {n}" for sku, n in sorted(loaded.items()))
            self.message_user(request, f"{drop}: {summary}", messages.SUCCESS)
