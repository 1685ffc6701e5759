"""What one batch of an import finds in the database: read once per batch, in a fixed number of
queries, whatever the number of rows (catalog.services.batch_writing)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from catalog.models import (
    Media,
    Option,
    OptionValue,
    Product,
    Variant,
    VariantIdentifier,
    VariantPrice,
)
from catalog.services.batch_input import ProductSpec


class ExistingRows:
    """What a batch finds in the database: read once per batch, a fixed number of queries."""

    def __init__(self, specs: Sequence[ProductSpec]):
        handles = [s.handle for s in specs]
        # Locked before they are read, in pk order (the order every product writer uses).
        self.products = {
            p.handle: p
            for p in Product.objects.select_for_update(of=("self",))
            .filter(handle__in=handles)
            .order_by("pk")
        }
        pks = [p.pk for p in self.products.values()]
        skus = [v.sku for s in specs for v in s.variants]
        self.siblings: dict[int, list[Variant]] = defaultdict(list)  # product pk -> variants
        self.variants: dict[str, Variant] = {}
        by_pk = {p.pk: p for p in self.products.values()}
        for variant in Variant.objects.filter(product_id__in=pks).order_by("pk"):
            variant.product = by_pk[variant.product_id]  # cached: messages name the product
            self.siblings[variant.product_id].append(variant)
            self.variants[variant.sku] = variant
        wanted = [sku for sku in skus if sku not in self.variants]
        elsewhere = Variant.objects.filter(sku__in=wanted).select_related("product")
        self.variants.update({v.sku: v for v in elsewhere})
        locked = set(pks)
        own = [v.pk for v in self.variants.values() if v.product_id in locked]
        # Prices and identifiers as plain tuples: a batch reads thousands of them.
        self.prices: dict[int, dict[str, tuple[int, int, int | None]]] = defaultdict(dict)
        for pk, variant_id, currency, amount, compare_at in VariantPrice.objects.filter(
            variant_id__in=own
        ).values_list("pk", "variant_id", "currency", "amount_cents", "compare_at_cents"):
            self.prices[variant_id][currency] = (pk, amount, compare_at)
        self.identifiers: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for pk, variant_id, kind, value in VariantIdentifier.objects.filter(
            variant_id__in=own
        ).values_list("pk", "variant_id", "kind", "value"):
            self.identifiers[variant_id].append((pk, kind, value))
        values = {value for s in specs for v in s.variants for vs in v.identifiers.values()
                  for value in vs}  # fmt: skip
        # Who holds each identifier of the batch: (kind, value) -> (variant pk, SKU).
        self.holders = {
            (kind, value): (variant_id, sku)
            for kind, value, variant_id, sku in VariantIdentifier.objects.filter(
                value__in=values
            ).values_list("kind", "value", "variant_id", "variant__sku")
        }
        self.options: dict[int, list[Option]] = defaultdict(list)
        self.option_values: dict[int, list[OptionValue]] = defaultdict(list)
        if any(s.has_options for s in specs):
            for option in Option.objects.filter(product_id__in=pks).order_by("position", "pk"):
                self.options[option.product_id].append(option)
            for value in OptionValue.objects.filter(option__product_id__in=pks).order_by(
                "position", "pk"
            ):
                self.option_values[value.option_id].append(value)
        else:  # only whether each product has options (a new variant then needs values)
            for product_id in Option.objects.filter(product_id__in=pks).values_list(
                "product_id", flat=True
            ):
                self.options[product_id] = self.options[product_id] or [None]
        self.categories: dict[int, set[int]] = defaultdict(set)
        if any(s.categories is not None for s in specs):
            through = Product.categories.through.objects.filter(product_id__in=pks)
            for product_id, category_id in through.values_list("product_id", "category_id"):
                self.categories[product_id].add(category_id)
        self.media: dict[int, list[Media]] = defaultdict(list)
        if any(s.media for s in specs):
            for media in Media.objects.filter(product_id__in=pks).order_by("position", "pk"):
                self.media[media.product_id].append(media)
