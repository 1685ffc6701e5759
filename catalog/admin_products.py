"""The product page of the catalog admin: the product with its options, variants (one row per
SKU, a price column per market currency), translations, attribute values and images.

Everything on the page is saved through catalog.services: the product's own fields and
categories (save_product_details, which publishes or archives a changed status through the
publishing service), options and variant rows in one call (save_product_variants: "Delete" on a
row archives the variant, its SKU is never reused), and the other rows (save_product_content).
"""

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.db.models import CharField, Count, Max, Min, Q, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import selectors, services
from catalog.admin_forms import (
    AttributeValueFormSet,
    MediaFormSet,
    OptionForm,
    OptionFormSet,
    ProductAdminForm,
    VariantFormSet,
    inline_currencies,
    variant_inline_form,
)
from catalog.admin_import import CatalogImportExportMixin
from catalog.models import (
    SETTABLE_VARIANT_STATUS_CHOICES,
    Media,
    Option,
    Product,
    ProductAttributeValue,
    ProductTranslation,
    Variant,
)
from shop import selectors as shop_selectors
from shop.admin_mixins import ServiceSaveMixin, form_at, record_formset_changes
from shop.models import Market
from shop.money import Money


class OptionInline(admin.TabularInline):
    model = Option
    form = OptionForm
    formset = OptionFormSet
    fields = ["name", "values"]
    extra = 0
    max_num = 3  # the spreadsheet formats (ours and Shopify's) carry three options
    verbose_name_plural = _("Options (up to three; values separated by commas)")


class UniquenessInService:
    """Whether a SKU or handle is free (a SKU never used, not even by a removed variant) is the
    service's rule (catalog.services.validation), worded alike in every interface; the form
    leaves it to the service instead of Django's generic "already exists"."""

    def validate_unique(self):
        pass


class VariantInline(admin.TabularInline):
    """The product's live variants. Ticking "Delete" removes a variant: it is archived, never
    deleted, so its SKU is never reused (catalog.services.save_product_variants)."""

    model = Variant
    formset = VariantFormSet
    extra = 1
    show_change_link = True
    verbose_name_plural = _(
        "Variants (prices, identifiers and more on each variant's page; a removed variant is "
        "archived and its SKU is never reused)"
    )

    def get_formset(self, request, obj=None, **kwargs):
        option_names = [o.name for o in obj.options.all()] if obj else []
        form = variant_inline_form(inline_currencies(), option_names)
        kwargs["form"] = type(form.__name__, (UniquenessInService, form), {})
        kwargs["fields"] = None  # the form's own field list, including its price columns
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["status"].choices = SETTABLE_VARIANT_STATUS_CHOICES
        return formset

    def get_fields(self, request, obj=None):
        form = variant_inline_form(inline_currencies(), [])
        return list(form.base_fields)

    def get_queryset(self, request):
        # Each row reads its product's options (for the option columns): fetch them once.
        return (
            super()
            .get_queryset(request)
            .live()
            .select_related("product")
            .prefetch_related("option_values", "prices", "product__options")
        )


class ProductTranslationInline(admin.StackedInline):
    model = ProductTranslation
    extra = 0


class ProductAttributeValueInline(admin.TabularInline):
    model = ProductAttributeValue
    formset = AttributeValueFormSet
    extra = 0
    fields = ["attribute", "value_text", "value_number", "value_boolean"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("attribute")


class MediaInline(admin.TabularInline):
    model = Media
    formset = MediaFormSet
    extra = 0
    fields = ["image", "external_url", "alt_text", "variant", "position"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Only this product's variants can be tied to its images.
        variants = Variant.objects.filter(product=obj) if obj else Variant.objects.none()
        formset.form.base_fields["variant"].queryset = variants
        return formset


@admin.register(Product)
class ProductAdmin(ServiceSaveMixin, CatalogImportExportMixin, admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["title", "handle", "brand", "status", "variant_count", "price_range"]
    list_filter = ["status", "brand", "categories"]
    list_select_related = ["brand"]
    search_fields = ["title", "handle", "variants__sku", "variants__identifiers__value"]
    prepopulated_fields = {"handle": ["title"]}
    autocomplete_fields = ["brand"]
    filter_horizontal = ["categories"]
    readonly_fields = ["public_id", "published_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "handle", "status", "description"]}),
        (_("Organisation"), {"fields": ["brand", "product_type", "categories", "tags"]}),
        (_("Search engines"), {"fields": ["seo_title", "seo_description"]}),
        (_("Record"), {"fields": readonly_fields, "classes": ["collapse"]}),
    ]
    inlines = [
        OptionInline,
        VariantInline,
        ProductTranslationInline,
        ProductAttributeValueInline,
        MediaInline,
    ]
    actions = ["publish_selected", "archive_selected"]

    def get_queryset(self, request):
        currency = self.listing_currency()
        in_currency = Q(variants__prices__currency=currency)
        return (
            super()
            .get_queryset(request)
            .annotate(
                variant_count=Count("variants", distinct=True),
                price_min=Min("variants__prices__amount_cents", filter=in_currency),
                price_max=Max("variants__prices__amount_cents", filter=in_currency),
                listing_currency=Value(currency, output_field=CharField()),
            )
        )

    def listing_currency(self) -> str:
        """The default market's currency: the one the price-range column shows."""
        market = Market.objects.filter(code=settings.DEFAULT_MARKET).only("currency").first()
        return market.currency if market else "USD"

    @admin.display(description=_("Variants"), ordering="variant_count")
    def variant_count(self, product):
        return product.variant_count

    @admin.display(description=_("Price"), ordering="price_min")
    def price_range(self, product):
        if product.price_min is None:
            return "—"
        currency = product.listing_currency
        low, high = Money(product.price_min, currency), Money(product.price_max, currency)
        return str(low) if low == high else f"{low} – {high}"

    def _create_formsets(self, request, obj, change):
        # Variants pick values of the options typed in the same submit: let their formset
        # read the options formset.
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        options = next((f for f in formsets if isinstance(f, OptionFormSet)), None)
        for formset in formsets:
            if isinstance(formset, VariantFormSet):
                formset.option_formset = options
        return formsets, inline_instances

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (UniquenessInService, form), {})

    def has_delete_permission(self, request, obj=None):
        # A product with variants is archived, never deleted: its SKUs are never reused.
        if obj is not None and obj.variants.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """The product's own fields; a changed status is published or archived by the
        publishing service (stamp and history row), never written by the form."""
        self.call_service(
            services.save_product_details,
            product=obj,
            status=form.cleaned_data.get("status", obj.status),
            categories=form.cleaned_data.get("categories"),
            actor=request.user,
        )

    def delete_model(self, request, obj):
        self.call_service(services.delete_product, product=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for product in queryset:
            self.call_service(services.delete_product, product=product, actor=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        self.warn_without_stock(request, [obj])
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self.warn_without_stock(request, [obj])
        return super().response_change(request, obj)

    def warn_without_stock(self, request, products) -> None:
        """Warn about active products no shopper can buy: no sellable stock in any market."""
        active = {p.pk: p for p in products if p.is_active}
        if not active:
            return
        markets = shop_selectors.list_markets()
        sellable: set[int] = set()
        for market in markets:
            in_stock = selectors.get_in_stock_product_ids(product_ids=list(active), market=market)
            if in_stock is None:
                return  # no stock backend plugged in: the catalog makes no stock claim
            sellable |= in_stock
        codes = ", ".join(m.code for m in markets)
        for pk, product in active.items():
            if pk not in sellable:
                message = _(
                    "“%(title)s” is active but has no sellable stock in any market (%(markets)s): "
                    "shoppers see it as out of stock."
                ) % {"title": product.title, "markets": codes}
                self.message_user(request, message, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        # The categories were saved with the product (save_model); every inline below is
        # written by a catalog service.
        options = next((f for f in formsets if isinstance(f, OptionFormSet)), None)
        variants = next((f for f in formsets if isinstance(f, VariantFormSet)), None)
        if options is not None or variants is not None:
            self._save_options_and_variants(request, form.instance, options, variants)
        for formset in formsets:
            if formset is not options and formset is not variants:
                self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        """Translations, attribute values and images through services.save_product_content."""
        rows = formset.save(commit=False)  # builds the rows; the service writes them
        self.call_service(
            services.save_product_content,
            lambda path: (formset.prefix, None),
            product=form.instance,
            rows=rows,
            removed=formset.deleted_objects,
            actor=request.user,
        )

    def _save_options_and_variants(self, request, product, options, variants) -> None:
        """Options and variant rows in one call of services.save_product_variants."""
        option_forms = options.kept_forms() if options is not None else []
        option_inputs = [
            services.OptionInput(
                name=f.cleaned_data["name"],
                values=f.cleaned_data["values"],
                option=f.instance if f.instance.pk else None,
            )
            for f in option_forms
        ]
        if options is not None:
            names = [o.name for o in option_inputs]
        else:
            names = list(product.options.values_list("name", flat=True))
        deleted = variants.deleted_forms if variants is not None else []
        removed = [f.instance for f in deleted if f.instance.pk]
        rows = [
            f
            for f in (variants.forms if variants is not None else [])
            if f not in deleted and f.has_changed() and f.cleaned_data
        ]
        inputs = [_variant_input(f, names) for f in rows]

        def locate(path):
            if path[0] == "options" and options is not None:
                form = form_at(option_forms, path, 1)
                field = path[2] if len(path) > 2 else None
                return (form.prefix, field) if form else (options.prefix, None)
            form = form_at(rows, path, 1) if path[0] == "variants" else None
            if form is None:
                on_formset = variants is not None and path[0] == "variants"
                return (variants.prefix, None) if on_formset else ("", None)
            key, sub = path[2] if len(path) > 2 else "", path[3] if len(path) > 3 else ""
            if key == "option_values" and sub in names:
                return form.prefix, f"option{names.index(sub) + 1}"
            return form.prefix, f"price_{sub}" if key == "prices" else key

        written = self.call_service(
            services.save_product_variants,
            locate,
            product=product,
            options=option_inputs if options is not None else None,
            variants=inputs,
            removed=removed,
            actor=request.user,
            audit=False,  # Django's history row for this submit says what changed
        )
        if options is not None:
            deleted = [f.instance for f in options.deleted_forms if f.instance.pk]
            new = [f.instance for f in option_forms if not f.instance.pk]
            changed = [(f.instance, f.changed_data) for f in option_forms if f.instance.pk]
            record_formset_changes(options, new, [c for c in changed if c[1]], deleted)
        if variants is not None:
            done = list(zip(rows, written, strict=True))
            new = [v for f, v in done if not f.instance.pk]
            changed = [(v, f.changed_data) for f, v in done if f.instance.pk]
            record_formset_changes(variants, new, changed, removed)

    @admin.action(description=_("Publish selected products"), permissions=["change"])
    def publish_selected(self, request, queryset):
        products = list(queryset)
        count = services.publish_products(products=products, actor=request.user)
        self.message_user(
            request,
            ngettext("Published %d product.", "Published %d products.", count) % count,
            messages.SUCCESS,
        )
        self.warn_without_stock(request, Product.objects.filter(pk__in=[p.pk for p in products]))

    @admin.action(description=_("Archive selected products"), permissions=["change"])
    def archive_selected(self, request, queryset):
        count = services.archive_products(products=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("Archived %d product.", "Archived %d products.", count) % count,
            messages.SUCCESS,
        )


def _variant_input(form, names: list[str]) -> services.VariantInput:
    """A variant row of the product page as the service takes it."""
    data, existing = form.cleaned_data, form.instance.pk is not None
    prices = {c: cents for c, cents in form.prices.items() if existing or cents is not None}
    return services.VariantInput(
        sku=data["sku"],
        option_values=dict(zip(names, getattr(form, "chosen_values", []), strict=False)),
        weight_grams=data.get("weight_grams"),
        status=data.get("status"),
        position=data.get("position") or 0,
        prices=prices,
        variant=form.instance if existing else None,
    )
