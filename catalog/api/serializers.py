"""Shapes of the public catalog API: output serializers fed by the presenters below, and input
serializers that document the write bodies (catalog.services validates them, so the API,
the admin and imports all refuse the same things with the same messages)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.identifiers import KINDS, SKU_MAX_LENGTH
from catalog.models import (
    SETTABLE_VARIANT_STATUS_CHOICES,
    Product,
    ProductStatus,
    Variant,
    VariantStatus,
)
from catalog.services import validation
from shop.api.serializers import MoneySerializer
from shop.models import Market

# --- output ---------------------------------------------------------------------------------


class PriceRangeSerializer(serializers.Serializer):
    min = MoneySerializer()
    max = MoneySerializer()


class ProductListItemSerializer(serializers.Serializer):
    id = serializers.CharField()
    handle = serializers.CharField()
    title = serializers.CharField()
    brand = serializers.CharField(allow_null=True)
    price_range = PriceRangeSerializer()
    in_stock = serializers.BooleanField(
        allow_null=True, help_text="null when no stock backend is plugged in."
    )


class ProductListPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProductListItemSerializer(many=True)


class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    path = serializers.CharField(help_text='Slug path from the root, e.g. "apparel/hoodies".')
    name = serializers.CharField()


class OptionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    values = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1)


class IdentifierSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    value = serializers.CharField(max_length=70)


class VariantSerializer(serializers.Serializer):
    sku = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=VariantStatus.choices)
    option_values = serializers.DictField(child=serializers.CharField())
    price = MoneySerializer(allow_null=True, help_text="In the market's currency.")
    compare_at_price = MoneySerializer(allow_null=True)
    available = serializers.IntegerField(
        allow_null=True, help_text="Units buyable in the market; null without a stock backend."
    )
    identifiers = IdentifierSerializer(many=True)


class ProductDetailSerializer(serializers.Serializer):
    id = serializers.CharField()
    handle = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    brand = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=ProductStatus.choices)
    categories = CategoryRefSerializer(many=True)
    options = OptionSerializer(many=True)
    variants = VariantSerializer(many=True)


class PriceSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=0, help_text="Integer minor units.")
    currency = serializers.CharField(min_length=3, max_length=3)
    compare_at_amount = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class VariantStaffSerializer(VariantSerializer):
    """A variant as the write endpoints return it: every price, and the weight."""

    prices = PriceSerializer(many=True)
    weight_grams = serializers.IntegerField(allow_null=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


# --- input (documentation of the bodies catalog.services validates) -------------------------
#
# The services validate every write body (all problems at once, the same messages as the admin
# and imports). These serializers describe those bodies for the schema; where a field has a
# shape rule, the field applies the service's own rule and message, so a body this schema
# accepts is one the service accepts (tests/catalog/test_api_contract.py holds them together).


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^{validation.HANDLE_PATTERN.pattern}$",
        "maxLength": validation.HANDLE_MAX_LENGTH,
    }
)
class HandleField(serializers.CharField):
    """A product handle (part of its URL): lower-case letters, digits, hyphens, underscores."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", validation.HANDLE_MAX_LENGTH)
        kwargs.setdefault("error_messages", {"max_length": "At most {max_length} characters."})
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        handle = super().to_internal_value(data)
        problem = validation.handle_problem(handle)
        if problem:
            raise serializers.ValidationError(problem)
        return handle


@extend_schema_field(
    {"type": "string", "pattern": "^[^/\\x00-\\x1f]+$", "maxLength": SKU_MAX_LENGTH}
)
class SkuField(serializers.CharField):
    """A SKU: opaque text without '/' or control characters (it is part of URLs)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", SKU_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        errors = validation.Errors()
        sku = validation.clean_sku(errors, ("sku",), data)
        if errors.count:
            raise serializers.ValidationError(errors.tree["sku"])
        return sku


def _variant_status(**kwargs) -> serializers.ChoiceField:
    messages = {"invalid_choice": validation.VARIANT_STATUS_MESSAGE}
    return serializers.ChoiceField(
        choices=SETTABLE_VARIANT_STATUS_CHOICES, error_messages=messages, **kwargs
    )


class VariantWriteSerializer(serializers.Serializer):
    sku = SkuField(help_text="Opaque and immutable once saved; never reused.")
    title = serializers.CharField(max_length=255, required=False)
    status = _variant_status(required=False)  # archived is what removing a variant does
    option_values = serializers.DictField(
        child=serializers.CharField(), help_text="{option name: value}, one for every option."
    )
    prices = PriceSerializer(many=True, help_text="At least one; one per currency.")
    weight_grams = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    identifiers = IdentifierSerializer(many=True, required=False)


class VariantPatchSerializer(VariantWriteSerializer):
    """Any subset of the variant's fields; `sku` may be repeated, never changed."""

    sku = SkuField(required=False)
    option_values = serializers.DictField(child=serializers.CharField(), required=False)
    prices = PriceSerializer(many=True, required=False, help_text="Replaces every price.")
    identifiers = IdentifierSerializer(
        many=True, required=False, help_text="Replaces every identifier."
    )


class ProductPatchSerializer(serializers.Serializer):
    handle = HandleField(required=False)
    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    brand = serializers.CharField(
        max_length=120,
        required=False,
        allow_null=True,
        help_text="Brand name or slug; created when missing; null removes it.",
    )
    categories = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text='Category slug paths ("apparel/hoodies") or unambiguous slugs.',
    )
    status = serializers.ChoiceField(choices=ProductStatus.choices, required=False)
    product_type = serializers.CharField(max_length=120, required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    seo_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    seo_description = serializers.CharField(max_length=320, required=False, allow_blank=True)


class ProductCreateSerializer(ProductPatchSerializer):
    handle = HandleField(required=False, help_text="Derived from the title when left out.")
    title = serializers.CharField(max_length=255)
    status = serializers.ChoiceField(
        choices=ProductStatus.choices, required=False, help_text="Defaults to draft."
    )
    options = OptionSerializer(many=True, required=False)
    variants = VariantWriteSerializer(many=True, required=False)


# --- presenters: models to the output shapes ------------------------------------------------


def _money(cents: int | None, currency: str) -> dict | None:
    return None if cents is None else {"amount": cents, "currency": currency}


def product_list_item(product: Product, *, market: Market, in_stock: set[int] | None) -> dict:
    """`product` comes from list_storefront_products (min/max price annotations)."""
    return {
        "id": product.public_id,
        "handle": product.handle,
        "title": product.title,
        "brand": product.brand.name if product.brand else None,
        "price_range": {
            "min": _money(product.min_price_cents, market.currency),
            "max": _money(product.max_price_cents, market.currency),
        },
        "in_stock": None if in_stock is None else product.pk in in_stock,
    }


def variant_detail(
    variant: Variant, *, market: Market, available: dict[int, int] | None, staff: bool = False
) -> dict:
    """`variant` has prices (at least the market's currency), option values and identifiers."""
    price = next((p for p in variant.prices.all() if p.currency == market.currency), None)
    data = {
        "sku": variant.sku,
        "title": variant.title,
        "status": variant.status,
        "option_values": {ov.option.name: ov.value for ov in variant.option_values.all()},
        "price": _money(price and price.amount_cents, market.currency),
        "compare_at_price": _money(price and price.compare_at_cents, market.currency),
        "available": None if available is None else available.get(variant.pk, 0),
        "identifiers": [{"kind": i.kind, "value": i.value} for i in variant.identifiers.all()],
    }
    if staff:
        data["weight_grams"] = variant.weight_grams
        data["prices"] = [
            {
                "amount": p.amount_cents,
                "currency": p.currency,
                "compare_at_amount": p.compare_at_cents,
            }
            for p in variant.prices.all()
        ]
    return data


def product_detail(product: Product, *, market: Market, available: dict[int, int] | None) -> dict:
    """`product` comes from get_storefront_product or get_product_for_staff."""
    return {
        "id": product.public_id,
        "handle": product.handle,
        "title": product.title,
        "description": product.description,
        "brand": product.brand.name if product.brand else None,
        "status": product.status,
        "categories": [
            {"slug": c.slug, "path": c.path, "name": c.name} for c in product.categories.all()
        ],
        "options": [
            {"name": o.name, "values": [v.value for v in o.values.all()]}
            for o in product.options.all()
        ],
        "variants": [
            variant_detail(v, market=market, available=available)
            for v in product.sellable_variants
        ],
    }
