"""A variant's own page in the catalog admin: its details, every price and identifier.

Variants are added and removed on their product's page; here nothing is added or deleted (a
variant is never deleted: its SKU is never reused), and a removed (archived) variant is shown
read-only. Every save goes through catalog.services.
"""

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from catalog import services
from catalog.admin_forms import (
    VariantAdminForm,
    VariantIdentifierForm,
    VariantPriceForm,
    VariantPriceFormSet,
)
from catalog.models import (
    SETTABLE_VARIANT_STATUS_CHOICES,
    Variant,
    VariantIdentifier,
    VariantPrice,
)
from shop.admin_mixins import (
    RefusalFormSet,
    ServiceSaveMixin,
    form_at,
    record_formset_changes,
)


class VariantPriceInline(admin.TabularInline):
    """Prices as decimals typed in the locale of the market selling in the chosen currency."""

    model = VariantPrice
    form = VariantPriceForm
    formset = VariantPriceFormSet
    extra = 1
    fields = ["currency", "amount", "compare_at"]


class VariantIdentifierInline(admin.TabularInline):
    model = VariantIdentifier
    form = VariantIdentifierForm
    formset = RefusalFormSet
    extra = 1
    fields = ["kind", "value"]


@admin.register(Variant)
class VariantAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """A variant's own page: every price and identifier. Variants are added on the product."""

    form = VariantAdminForm
    list_display = ["sku", "product", "options", "status", "weight_grams"]
    list_filter = ["status"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__title", "identifiers__value"]
    fields = ["product", "sku", "options", "title", "weight_grams", "status", "position"]
    readonly_fields = ["product", "sku", "options"]
    inlines = [VariantPriceInline, VariantIdentifierInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("option_values")

    @admin.display(description=_("Options"))
    def options(self, variant):
        return " / ".join(ov.value for ov in variant.option_values.all()) or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a variant is never deleted (its SKU is never reused): remove archives it

    def has_change_permission(self, request, obj=None):
        # A removed (archived) variant is kept only so its SKU stays taken: shown, not edited.
        if obj is not None and obj.is_archived:
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "status" in form.base_fields:
            form.base_fields["status"].choices = SETTABLE_VARIANT_STATUS_CHOICES
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        self.call_service(
            services.update_variant_details,
            lambda path: ("", path[0]),
            variant=obj,
            title=data.get("title", obj.title),
            weight_grams=data.get("weight_grams"),
            status=data.get("status", obj.status),
            position=data.get("position", obj.position),
            actor=request.user,
            audit=False,  # Django's history row for this submit says what changed
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is VariantPrice:
            self._save_prices(request, form.instance, formset)
        elif formset.model is VariantIdentifier:
            self._save_identifiers(request, form.instance, formset)
        else:
            raise ImproperlyConfigured(f"No catalog service saves {formset.model.__name__} rows.")

    def _save_prices(self, request, variant, formset) -> None:
        """The rows added, changed or deleted, as services.set_variant_prices by currency."""
        prices, forms, deleted = {}, {}, []
        for f in formset.forms:
            old = f.initial.get("currency") if f.instance.pk else None
            if f in formset.deleted_forms:
                if old:
                    prices.setdefault(old, None)
                    deleted.append(f.instance)
            elif f.has_changed() and f.cleaned_data:
                new = f.cleaned_data["currency"]
                if old and old != new:
                    prices.setdefault(old, None)
                prices[new] = (f.cleaned_data["amount_cents"], f.cleaned_data["compare_at_cents"])
                forms[new] = f
        fields = {"amount": "amount", "compare_at_amount": "compare_at"}  # service -> form

        def locate(path):
            form = forms.get(path[1]) if len(path) > 1 else None
            if form is None:
                return formset.prefix, None
            return form.prefix, fields.get(path[2], path[2]) if len(path) > 2 else None

        self.call_service(
            services.set_variant_prices,
            locate,
            variant=variant,
            prices=prices,
            actor=request.user,
            audit=False,
        )
        saved = list(forms.values())
        new = [f.instance for f in saved if not f.instance.pk]
        changed = [(f.instance, f.changed_data) for f in saved if f.instance.pk]
        record_formset_changes(formset, new, changed, deleted)

    def _save_identifiers(self, request, variant, formset) -> None:
        """The rows added, changed or deleted, as services.change_variant_identifiers."""
        add, remove, forms, deleted = [], [], [], []
        for f in formset.forms:
            old = (f.initial.get("kind"), f.initial.get("value")) if f.instance.pk else None
            if f in formset.deleted_forms:
                if old:
                    remove.append(old)
                    deleted.append(f.instance)
            elif f.has_changed() and f.cleaned_data:
                if old:
                    remove.append(old)
                add.append((f.cleaned_data["kind"], f.cleaned_data["value"]))
                forms.append(f)

        def locate(path):
            form = form_at(forms, path, 1)
            if form is None:
                return formset.prefix, None
            return form.prefix, path[2] if len(path) > 2 else None

        self.call_service(
            services.change_variant_identifiers,
            locate,
            variant=variant,
            add=add,
            remove=remove,
            actor=request.user,
            audit=False,
        )
        new = [f.instance for f in forms if not f.instance.pk]
        changed = [(f.instance, f.changed_data) for f in forms if f.instance.pk]
        record_formset_changes(formset, new, changed, deleted)
