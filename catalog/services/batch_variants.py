"""The variant rows of an import batch: decided against what the batch read (one variant per
option combination, SKUs never reused, one owner per identifier), then written in bulk with
their option links, prices and identifiers (catalog.services.batch_writing)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from catalog.models import OptionValue, Variant, VariantIdentifier, VariantPrice, option_key_for
from catalog.services.batch_existing import ExistingRows
from catalog.services.batch_input import VariantSpec, assign
from catalog.services.bulk_sql import insert_objects, insert_rows, update_rows
from catalog.services.storefront_versions import bump_price_versions
from catalog.services.validation import MAX_AMOUNT, Errors, check_catalog, sku_taken_message

VARIANT_FIELDS = ["weight_grams", "status", "option_key", "updated_at"]
# Fields of a new variant the model validates here; the parsers already applied the SKU rule
# (catalog.identifiers.normalize_sku) and the settable statuses, and positions are computed.
VARIANT_INPUT = ["weight_grams", "option_key"]


@dataclass
class Row:
    """One variant row while it is decided and written."""

    item: object  # the batch_writing item (product) it belongs to
    spec: VariantSpec
    variant: Variant
    created: bool
    changed: bool
    values: list[OptionValue] | None
    moved: bool = False  # an existing variant that takes another option combination


class VariantRows:
    """The variant half of the batch writer (mixed into batch_writing's writer)."""

    def _variants(self, items: list[object], existing: ExistingRows) -> list[Row]:
        items = [item for item in items if item.ok]
        self._check_new_skus(items, existing)
        rows: list[Row] = []
        for item in items:
            rows += self._plan_variants(item, existing)
        new = [row.variant for row in rows if row.created]
        moved = [row.variant.pk for row in rows if row.moved]
        changed = [row.variant for row in rows if not row.created and row.changed]
        if moved:
            # Rows of one product may trade combinations: free theirs first (unique index).
            Variant.objects.filter(pk__in=moved).update(
                option_key=Concat(Value("~"), Cast("pk", CharField()))
            )
        insert_objects(Variant, new)
        if changed:
            Variant.objects.bulk_update(changed, VARIANT_FIELDS)
        through = Variant.option_values.through
        if moved:
            through.objects.filter(variant_id__in=moved).delete()
        insert_rows(
            through,
            ["variant", "optionvalue"],
            [
                (row.variant.pk, value.pk)
                for row in rows
                if row.values and (row.created or row.moved)
                for value in row.values
            ],
        )
        return rows

    def _check_new_skus(self, items: list[object], existing: ExistingRows) -> None:
        """A new SKU must be new to the catalog: the rule every interface applies."""
        new = [
            ((vspec.line,), {"sku": vspec.sku})
            for item in items
            for vspec in item.spec.variants
            if vspec.sku not in existing.variants and not self.report.failed(vspec.line)
        ]
        errors = Errors()
        check_catalog(errors, new)
        for line, problems in errors.tree.items():
            for field_name, messages in problems.items():
                for message in messages if isinstance(messages, list) else []:
                    self.error(int(line), field_name, message)

    def _plan_variants(self, item: object, existing: ExistingRows) -> list[Row]:
        spec, product = item.spec, item.product
        siblings = [] if item.created else existing.siblings[product.pk]
        base = max((v.position for v in siblings), default=-1) + 1
        if spec.has_options:
            has_options = bool(spec.options)
        else:
            has_options = not item.created and bool(existing.options[product.pk])
        # Which variant holds each combination, kept current as rows move (as if row by row);
        # a removed (archived) variant holds none.
        holders = {v.option_key: v for v in siblings if not v.is_archived}
        rows = []
        for vspec in spec.variants:
            if self.report.failed(vspec.line):
                continue  # already refused by the file checks; one message per problem
            variant = existing.variants.get(vspec.sku)
            if variant is not None and variant.is_archived:
                self.error(vspec.line, "sku", sku_taken_message(variant))  # never reused
                continue
            if variant is not None and variant.product_id != product.pk:
                message = f"SKU {vspec.sku} belongs to product {variant.product.handle}."
                self.error(vspec.line, "sku", message)
                continue
            created = variant is None
            if created:
                variant = Variant(product=product, sku=vspec.sku, position=base + vspec.position)
            changed = bool(assign(variant, vspec.fields))
            values, key = None, variant.option_key
            if spec.has_options:
                values = [item.values[(i, v.lower())] for i, v in enumerate(vspec.values)]
                key = option_key_for(ov.pk for ov in values)
            elif created and has_options:
                self.error(vspec.line, "options", "A new variant needs a value for every option.")
                continue
            moved = not created and key != variant.option_key
            checked = VARIANT_INPUT if created else [*vspec.fields, "option_key"]
            if created or moved:
                clash = holders.get(key)
                if clash is not None and clash is not variant:
                    label = " / ".join(vspec.values) or "no options"
                    message = f"SKU {clash.sku} already has options {label}."
                    self.error(vspec.line, "options", message)
                    continue
                if moved and holders.get(variant.option_key) is variant:
                    del holders[variant.option_key]
                variant.option_key, holders[key] = key, variant
                changed = changed or moved
            if (created or changed) and not self.valid(vspec.line, variant, checked):
                continue
            if changed and not created:
                variant.updated_at = self.now
            item.variants[vspec.sku] = variant
            rows.append(Row(item, vspec, variant, created, changed, values, moved))
        return rows

    # --- prices and identifiers ------------------------------------------------------------

    def _prices(self, rows: list[Row], existing: ExistingRows) -> None:
        new, changed, gone = [], [], []
        for row in rows:
            current = {} if row.created else existing.prices[row.variant.pk]
            for currency, (amount, compare_at) in row.spec.prices.items():
                price = current.get(currency)
                if amount is None:
                    if price is not None:
                        gone.append(price[0])
                        row.changed = True
                    continue
                if price is not None and price[1:] == (amount, compare_at):
                    continue
                if not self._amounts_fit(row.spec.line, amount, compare_at):
                    continue
                if price is None:
                    new.append((row.variant.pk, currency, amount, compare_at))
                else:
                    changed.append((price[0], amount, compare_at))
                row.changed = True
        if gone or new or changed:
            bump_price_versions()  # cached promotion results (promotions.selectors)
        VariantPrice.objects.filter(pk__in=gone).delete()
        insert_rows(VariantPrice, ["variant", "currency", "amount_cents", "compare_at_cents"], new)
        update_rows(VariantPrice, ["amount_cents", "compare_at_cents"], changed)

    def _amounts_fit(self, line: int, amount: int, compare_at: int | None) -> bool:
        """The parsers read amounts of 0 or more in a known currency; the column is a bigint."""
        for name, value in (("amount_cents", amount), ("compare_at_cents", compare_at)):
            if value is not None and not 0 <= value <= MAX_AMOUNT:
                self.error(line, name, f"{value} is out of range (0 to {MAX_AMOUNT}).")
                return False
        return True

    def _identifiers(self, rows: list[Row], existing: ExistingRows) -> None:
        """Identifiers arrive normalised by the parsers (catalog.identifiers, as the model's
        clean() does); here each gets one owner."""
        holders = dict(existing.holders)
        new, gone = [], []
        for row in rows:
            current_all = [] if row.created else existing.identifiers[row.variant.pk]
            for kind, values in row.spec.identifiers.items():
                current = {value: pk for pk, k, value in current_all if k == kind}
                for value, pk in current.items():
                    if value not in values:
                        gone.append(pk)
                        holders.pop((kind, value), None)
                        row.changed = True
                for value in values:
                    if value in current:
                        continue
                    holder = holders.get((kind, value))
                    if holder is not None:
                        message = f"{kind.upper()} {value} is used by {holder[1]}."
                        self.error(row.spec.line, kind, message)
                        continue
                    holders[(kind, value)] = (row.variant.pk, row.variant.sku)
                    new.append((row.variant.pk, kind, value))
                    row.changed = True
        VariantIdentifier.objects.filter(pk__in=gone).delete()
        insert_rows(VariantIdentifier, ["variant", "kind", "value"], new)
