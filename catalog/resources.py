"""Catalog spreadsheet columns (django-import-export): one row per variant, the `emporium` format.

The resource maps columns and nothing else. Importing goes through `catalog.importing`, which
groups rows into products and validates the whole file before anything is written; a
row-by-row ModelResource save could not keep a product's options, variants and prices
consistent or refuse a file as a whole.
"""

from django.db.models import Prefetch
from import_export import fields, resources

from catalog.identifiers import KINDS
from catalog.importers.base import escape_formula
from catalog.importers.emporium import LIST_SEPARATOR, MAX_OPTIONS, price_columns
from catalog.models import Option, Variant, VariantPrice
from shop.models import Market
from shop.money import format_decimal_amount


def export_currencies() -> list[str]:
    """Currencies with price columns: the markets' (in market order), then any other in use."""
    markets = Market.objects.filter(is_active=True).values_list("currency", flat=True)
    in_use = VariantPrice.objects.order_by("currency").values_list("currency", flat=True)
    currencies = list(dict.fromkeys([*markets, *in_use.distinct()]))
    return currencies or ["USD"]


class CatalogResource(resources.ModelResource):
    """Export one row per variant with its product's columns repeated on every row."""

    handle = fields.Field(column_name="handle", attribute="product__handle")
    title = fields.Field(column_name="title", attribute="product__title")
    description = fields.Field(column_name="description", attribute="product__description")
    brand = fields.Field(column_name="brand")
    categories = fields.Field(column_name="categories")
    product_type = fields.Field(column_name="product_type", attribute="product__product_type")
    tags = fields.Field(column_name="tags")
    status = fields.Field(column_name="status", attribute="product__status")
    seo_title = fields.Field(column_name="seo_title", attribute="product__seo_title")
    seo_description = fields.Field(
        column_name="seo_description", attribute="product__seo_description"
    )
    sku = fields.Field(column_name="sku", attribute="sku")
    weight_grams = fields.Field(column_name="weight_grams", attribute="weight_grams")
    variant_status = fields.Field(column_name="variant_status", attribute="status")

    class Meta:
        model = Variant
        import_id_fields = ("sku",)
        skip_unchanged = True
        fields = (
            "handle",
            "title",
            "description",
            "brand",
            "categories",
            "product_type",
            "tags",
            "status",
            "seo_title",
            "seo_description",
            *(f"option{n}_{p}" for n in range(1, MAX_OPTIONS + 1) for p in ("name", "value")),
            "sku",
            "weight_grams",
            "variant_status",
            *KINDS,
        )

    def export_field(self, field, instance, **kwargs):
        # Merchant text like "=HYPERLINK(...)" must not run when the file is opened.
        return escape_formula(super().export_field(field, instance, **kwargs))

    def __init__(self, currencies: list[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        for n in range(1, MAX_OPTIONS + 1):
            for part in ("name", "value"):
                name = f"option{n}_{part}"
                self.fields[name] = fields.Field(
                    column_name=name, dehydrate_method=self._option_getter(n - 1, part)
                )
        for kind in KINDS:
            self.fields[kind] = fields.Field(
                column_name=kind, dehydrate_method=self._identifier_getter(kind)
            )
        for currency in currencies or export_currencies():
            for column, attr in zip(
                price_columns(currency), ("amount_cents", "compare_at_cents"), strict=True
            ):
                self.fields[column] = fields.Field(
                    column_name=column, dehydrate_method=self._price_getter(currency, attr)
                )

    def get_queryset(self):
        # Removed (archived) variants are gone for merchandisers; their SKUs stay retired.
        return (
            Variant.objects.live()
            .select_related("product__brand")
            .prefetch_related(
                "product__categories",
                Prefetch("product__options", queryset=Option.objects.order_by("position", "pk")),
                "option_values",
                "prices",
                "identifiers",
            )
            .order_by("product__handle", "position", "pk")
        )

    def filter_export(self, queryset, **kwargs):
        products = kwargs.get("products")
        return queryset.filter(product__in=products) if products is not None else queryset

    def dehydrate_brand(self, variant):
        return variant.product.brand.name if variant.product.brand else ""

    def dehydrate_categories(self, variant):
        return LIST_SEPARATOR.join(sorted(c.path for c in variant.product.categories.all()))

    def dehydrate_tags(self, variant):
        return ", ".join(variant.product.tags or [])

    def dehydrate_weight_grams(self, variant):
        return "" if variant.weight_grams is None else variant.weight_grams

    @staticmethod
    def _option_getter(index: int, part: str):
        def getter(variant):
            options = list(variant.product.options.all())
            if index >= len(options):
                return ""
            option = options[index]
            if part == "name":
                return option.name
            value = next(
                (v for v in variant.option_values.all() if v.option_id == option.pk), None
            )
            return value.value if value else ""

        return getter

    @staticmethod
    def _identifier_getter(kind: str):
        def getter(variant):
            values = sorted(i.value for i in variant.identifiers.all() if i.kind == kind)
            return LIST_SEPARATOR.join(values)

        return getter

    @staticmethod
    def _price_getter(currency: str, attr: str):
        def getter(variant):
            price = next((p for p in variant.prices.all() if p.currency == currency), None)
            cents = getattr(price, attr, None) if price else None
            return "" if cents is None else format_decimal_amount(cents, currency)

        return getter
