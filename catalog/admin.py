"""The merchandiser's console: brands, the category tree, attributes and products.

A product, its options (with values typed as "S, M, L"), its variants (option values, weight and
a price per market currency), translations, attribute values and media are all edited on the
product page; a variant's full price list and identifiers are on its own page.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.db.models import CharField, Count, Max, Min, Q, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import publishing
from catalog.admin_forms import (
    AttributeValueFormSet,
    MediaFormSet,
    OptionForm,
    OptionFormSet,
    ProductAdminForm,
    VariantFormSet,
    VariantIdentifierForm,
    inline_currencies,
    variant_inline_form,
)
from catalog.admin_import import CatalogImportExportMixin
from catalog.models import (
    Attribute,
    Brand,
    Category,
    Media,
    Option,
    Product,
    ProductAttributeValue,
    ProductTranslation,
    Variant,
    VariantIdentifier,
    VariantPrice,
)
from shop.models import Market
from shop.money import Money


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path", "name", "parent", "position"]
    list_select_related = ["parent"]
    search_fields = ["name", "path"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["path"]
    fields = ["name", "slug", "parent", "path", "description", "position"]
    autocomplete_fields = ["parent"]


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit", "is_filterable", "position"]
    list_filter = ["kind", "is_filterable"]
    search_fields = ["code", "name"]
    prepopulated_fields = {"code": ["name"]}


class OptionInline(admin.TabularInline):
    model = Option
    form = OptionForm
    formset = OptionFormSet
    fields = ["name", "values"]
    extra = 0
    max_num = 3  # the spreadsheet formats (ours and Shopify's) carry three options
    verbose_name_plural = _("Options (up to three; values separated by commas)")


class VariantInline(admin.TabularInline):
    model = Variant
    formset = VariantFormSet
    extra = 1
    show_change_link = True
    verbose_name_plural = _("Variants (prices, identifiers and more on each variant's page)")

    def get_formset(self, request, obj=None, **kwargs):
        option_names = [o.name for o in obj.options.all()] if obj else []
        kwargs["form"] = variant_inline_form(inline_currencies(), option_names)
        kwargs["fields"] = None  # the form's own field list, including its price columns
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        form = variant_inline_form(inline_currencies(), [])
        return list(form.base_fields)

    def get_queryset(self, request):
        # Each row reads its product's options (for the option columns): fetch them once.
        return (
            super()
            .get_queryset(request)
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
class ProductAdmin(CatalogImportExportMixin, admin.ModelAdmin):
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

    @admin.action(description=_("Publish selected products"), permissions=["change"])
    def publish_selected(self, request, queryset):
        count = publishing.publish_products(products=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("Published %d product.", "Published %d products.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Archive selected products"), permissions=["change"])
    def archive_selected(self, request, queryset):
        count = publishing.archive_products(products=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("Archived %d product.", "Archived %d products.", count) % count,
            messages.SUCCESS,
        )


class VariantPriceInline(admin.TabularInline):
    model = VariantPrice
    extra = 1
    fields = ["currency", "amount_cents", "compare_at_cents"]


class VariantIdentifierInline(admin.TabularInline):
    model = VariantIdentifier
    form = VariantIdentifierForm
    extra = 1
    fields = ["kind", "value"]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    """A variant's own page: every price and identifier. Variants are added on the product."""

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
