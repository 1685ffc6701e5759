"""Many products at once, as a spreadsheet import writes them: the catalog's rules, in batches.

A spreadsheet of 100,000 variants cannot afford the per-row path (a savepoint, uniqueness selects
and single inserts: ~23 statements a row). `write_products` takes the parsed plan in batches of
about BATCH_ROWS rows and, per batch, reads what already exists in a fixed number of queries,
decides every row in memory with the rules the other services use (field validation as the
model declares it, SKU rules from catalog.services.validation.check_catalog, one owner per
identifier, one variant per option combination), then writes with bulk inserts and updates: the
number of statements per batch does not grow with the rows in it.

It runs inside the caller's transaction (catalog.importing: all or nothing, dry runs roll
back). Existing products of a batch are locked (select_for_update, pk order) before they are
read, so a concurrent admin edit waits instead of being overwritten with stale values; a
concurrent creator of the same handle, SKU or identifier makes the database refuse the batch
(IntegrityError), which the caller reports. Each product created or changed gets one row in
its admin history, saying who imported it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat, Lower
from django.utils import timezone

from catalog.models import (
    Brand,
    Category,
    Media,
    Option,
    OptionValue,
    Product,
    ProductStatus,
    Variant,
    VariantIdentifier,
    VariantPrice,
    option_key_for,
)
from catalog.services.brands import get_or_create_brand
from catalog.services.publishing import mark_published
from catalog.services.validation import MAX_AMOUNT, Errors, check_catalog, sku_taken_message

BATCH_ROWS = 1000

# --- what to write ---------------------------------------------------------------------------


@dataclass
class VariantSpec:
    line: int
    sku: str
    values: list[str]  # one value per product option, in option order
    fields: dict[str, Any] = field(default_factory=dict)  # weight_grams, status: only if given
    prices: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    identifiers: dict[str, list[str]] = field(default_factory=dict)  # kind -> values, if given
    position: int = 0


@dataclass
class MediaSpec:
    line: int
    url: str
    alt_text: str = ""
    position: int = 0
    variant_sku: str | None = None


@dataclass
class ProductSpec:
    line: int
    handle: str
    fields: dict[str, Any] = field(default_factory=dict)  # product columns present in the file
    brand: str | None = None
    has_brand: bool = False
    categories: list[str] | None = None  # slug paths; None when the file has no such column
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    has_options: bool = False
    variants: list[VariantSpec] = field(default_factory=list)
    media: list[MediaSpec] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


class RowReport(Protocol):
    """Where the writer records each row's outcome (catalog.importers.base.ImportResult)."""

    def error(self, line: int, column: str, message: str) -> None: ...

    def mark(self, line: int, action: str) -> None: ...

    def failed(self, line: int) -> bool: ...


Progress = Callable[[int], None]


def write_products(
    *,
    specs: Sequence[ProductSpec],
    report: RowReport,
    columns: dict[str, str] | None = None,
    actor=None,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> None:
    """Create or change the products of `specs`, batch by batch, recording each row's outcome.

    Rows the report already refused are left out. Problems found here are recorded in `report`
    (columns named through `columns`: model field -> the file's column) and the other rows are
    still written, so a preview shows every problem; the caller rolls back when there are any.
    `progress(n)` is called after each batch with the number of file rows it covered. Raises
    IntegrityError when a concurrent writer took a handle, SKU or identifier meanwhile.
    """
    writer = _Writer(report, columns or {}, actor)
    batch: list[ProductSpec] = []
    rows = 0
    for spec in specs:
        batch.append(spec)
        rows += max(len(spec.variants), 1)
        if rows >= batch_rows:
            writer.write(batch)
            if progress:
                progress(sum(len(s.lines) for s in batch))
            batch, rows = [], 0
    if batch:
        writer.write(batch)
        if progress:
            progress(sum(len(s.lines) for s in batch))


# --- the writer ------------------------------------------------------------------------------


@dataclass
class _Item:
    """One product of a batch while it is decided and written."""

    spec: ProductSpec
    product: Product | None = None
    created: bool = False
    ok: bool = True  # False: refused at product level; its variants are not written
    changed: set[str] = field(default_factory=set)  # what changed, for the history row
    product_changed: bool = False  # product fields, categories or options (the row's outcome)
    values: dict[tuple[int, str], OptionValue] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)  # written, by SKU


@dataclass
class _Row:
    """One variant row while it is decided and written."""

    item: _Item
    spec: VariantSpec
    variant: Variant
    created: bool
    changed: bool
    values: list[OptionValue] | None
    moved: bool = False  # an existing variant that takes another option combination


class _Existing:
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


class _Writer:
    def __init__(self, report: RowReport, columns: dict[str, str], actor):
        self.report, self.columns, self.actor = report, columns, actor
        self.brands: dict[str, Brand] = {}  # lower-case name -> brand, over the whole import
        self.categories: dict[str, Category] = {}  # path -> category, over the whole import
        self.now = timezone.now()

    # --- reporting -----------------------------------------------------------------------

    def error(self, line: int, field_name: str, message: str) -> None:
        self.report.error(line, self.columns.get(field_name, field_name), message)

    def invalid(self, line: int, exc: ValidationError, prefix: str = "") -> None:
        for field_name, messages in exc.message_dict.items():
            name = "" if field_name == "__all__" else prefix + field_name
            for message in messages:
                self.error(line, name, message)

    def valid(self, line: int, instance, names, prefix: str = "") -> bool:
        """The model's own validation of the fields `names` (lengths, choices, validators) and
        its clean(), as full_clean runs them, without reading the database: the batch checked
        uniqueness against what it read, and the database enforces it on write. Validating only
        the fields the file set keeps a 100,000-row file from paying for every field of every row.
        """
        errors: dict[str, list] = {}
        for name in names:
            model_field = instance._meta.get_field(name)
            raw = getattr(instance, model_field.attname)
            if model_field.blank and raw in model_field.empty_values:
                continue
            try:
                setattr(instance, model_field.attname, model_field.clean(raw, instance))
            except ValidationError as exc:
                errors[name] = exc.error_list
        if type(instance).clean is not models.Model.clean:
            try:
                instance.clean()
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if errors:
            self.invalid(line, ValidationError(errors), prefix)
            return False
        return True

    # --- one batch -----------------------------------------------------------------------

    def write(self, specs: Sequence[ProductSpec]) -> None:
        existing = _Existing(specs)
        self._load_brands(specs)
        self._load_categories(specs)
        items = [_Item(spec) for spec in specs]
        self._products(items, existing)
        items = [item for item in items if item.ok]
        self._categories(items, existing)
        self._options(items, existing)
        rows = self._variants(items, existing)
        self._prices(rows, existing)
        self._identifiers(rows, existing)
        for row in rows:
            action = "create" if row.created else "update" if row.changed else "skip"
            self.report.mark(row.spec.line, action)
            if row.created or row.changed:
                row.item.changed.add("variants")
        self._media(items, existing)
        for item in items:
            if item.created or item.product_changed:
                self.report.mark(item.spec.line, "create" if item.created else "update")
        self._history(items)

    def _load_brands(self, specs) -> None:
        names = {s.brand.lower() for s in specs if s.brand} - set(self.brands)
        if names:
            found = Brand.objects.annotate(lname=Lower("name")).filter(lname__in=names)
            self.brands.update({b.lname: b for b in found})

    def _brand(self, name: str) -> Brand:
        brand = self.brands.get(name.lower())
        if brand is None:
            brand = self.brands[name.lower()] = get_or_create_brand(name)
        return brand

    def _load_categories(self, specs) -> None:
        paths = {p for s in specs for p in (s.categories or [])} - set(self.categories)
        if paths:
            self.categories.update({c.path: c for c in Category.objects.filter(path__in=paths)})

    # --- products ------------------------------------------------------------------------

    def _products(self, items: list[_Item], existing: _Existing) -> None:
        new, changed = [], []
        for item in items:
            spec = item.spec
            product = existing.products.get(spec.handle)
            item.created = product is None
            if item.created:
                if not spec.fields.get("title"):
                    self.error(spec.line, "title", "A new product needs a title.")
                    item.ok = False
                    continue
                product = Product(handle=spec.handle)
            was_active = product.status == ProductStatus.ACTIVE and not item.created
            fields = _assign(product, spec.fields)
            if spec.has_brand:
                brand = self._brand(spec.brand) if spec.brand else None
                if product.brand_id != (brand.pk if brand else None):
                    product.brand = brand
                    fields.append("brand")
            if product.status == ProductStatus.ACTIVE and not was_active:
                mark_published(product, now=self.now)  # stamps published_at the first time
            checked = PRODUCT_INPUT if item.created else [f for f in fields if f != "brand"]
            if (item.created or fields) and not self.valid(spec.line, product, checked):
                item.ok = False
                continue
            item.product = product
            if item.created:
                new.append(product)
            elif fields:
                product.updated_at = self.now
                changed.append(product)
                item.changed.update(fields)
                item.product_changed = True
        Product.objects.bulk_create(new)
        if changed:
            Product.objects.bulk_update(changed, PRODUCT_FIELDS)

    def _categories(self, items: list[_Item], existing: _Existing) -> None:
        through = Product.categories.through
        add, remove = [], Q()
        for item in items:
            spec = item.spec
            if spec.categories is None:
                continue
            unknown = [path for path in spec.categories if path not in self.categories]
            for path in unknown:
                message = f"No category has the path '{path}'; create it first."
                self.error(spec.line, "categories", message)
            wanted = {self.categories[p].pk for p in spec.categories if p not in unknown}
            current = set() if item.created else existing.categories[item.product.pk]
            if unknown or wanted == current:
                continue
            pk = item.product.pk
            add += [through(product_id=pk, category_id=c) for c in wanted - current]
            if current - wanted:
                remove |= Q(product_id=pk, category_id__in=current - wanted)
            item.changed.add("categories")
            item.product_changed = True
        if remove:
            through.objects.filter(remove).delete()
        through.objects.bulk_create(add)

    # --- options -------------------------------------------------------------------------

    def _options(self, items: list[_Item], existing: _Existing) -> None:
        """Create missing options and values; map (option index, lower value) -> OptionValue."""
        new_options, new_values = [], []
        for item in items:
            spec = item.spec
            if not spec.has_options:
                continue
            current = [] if item.created else existing.options[item.product.pk]
            names = [name for name, _values in spec.options]
            if current and [o.name.lower() for o in current] != [n.lower() for n in names]:
                have = ", ".join(o.name for o in current)
                message = (
                    f"The options differ from the product's ({have}); change options in the admin."
                )
                self.error(spec.line, "options", message)
                item.ok = False
                continue
            options, values = [], []
            for index, (name, texts) in enumerate(spec.options):
                if index < len(current):
                    option = current[index]
                    known = {v.value.lower(): v for v in existing.option_values[option.pk]}
                else:
                    option = Option(product=item.product, name=name, position=index)
                    options.append(option)
                    known = {}
                position = max((v.position for v in known.values()), default=-1) + 1
                for text in texts:
                    if text.lower() not in known:
                        known[text.lower()] = OptionValue(
                            option=option, value=text, position=position
                        )
                        values.append(known[text.lower()])
                        position += 1
                item.values.update({(index, key): value for key, value in known.items()})
            checks = [(o, ["name"]) for o in options] + [(v, ["value"]) for v in values]
            if not all(self.valid(spec.line, obj, names) for obj, names in checks):
                item.ok = False
                continue
            if options or values:
                item.changed.add("options")
                item.product_changed = True
            new_options += options
            new_values += values
        insert_objects(Option, new_options)
        insert_objects(OptionValue, new_values)

    # --- variants ------------------------------------------------------------------------

    def _variants(self, items: list[_Item], existing: _Existing) -> list[_Row]:
        items = [item for item in items if item.ok]
        self._check_new_skus(items, existing)
        rows: list[_Row] = []
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

    def _check_new_skus(self, items: list[_Item], existing: _Existing) -> None:
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

    def _plan_variants(self, item: _Item, existing: _Existing) -> list[_Row]:
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
            changed = bool(_assign(variant, vspec.fields))
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
            rows.append(_Row(item, vspec, variant, created, changed, values, moved))
        return rows

    # --- prices and identifiers ------------------------------------------------------------

    def _prices(self, rows: list[_Row], existing: _Existing) -> None:
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

    def _identifiers(self, rows: list[_Row], existing: _Existing) -> None:
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

    # --- media -----------------------------------------------------------------------------

    def _media(self, items: list[_Item], existing: _Existing) -> None:
        """Add images by URL. A variant image reuses the product image with its URL if free.

        Media.variant is a single foreign key, so an image Shopify shares between several
        variants becomes one row per variant.
        """
        new, changed, pending = [], {}, set()
        for item in items:
            spec = item.spec
            if not spec.media or not item.ok:
                continue
            media_rows = [] if item.created else list(existing.media[item.product.pk])
            variant_lines = {v.line for v in spec.variants}
            ordered = sorted(spec.media, key=lambda m: m.variant_sku is not None)  # product first
            for mspec in ordered:
                variant = item.variants.get(mspec.variant_sku) if mspec.variant_sku else None
                if mspec.variant_sku and variant is None:
                    continue  # the variant row has an error of its own
                same_url = [m for m in media_rows if m.external_url == mspec.url]
                if variant is None:
                    media = same_url[0] if same_url else None
                else:
                    media = next((m for m in same_url if m.variant_id == variant.pk), None)
                    media = media or next((m for m in same_url if m.variant_id is None), None)
                action = "update"
                if media is None:
                    position = (
                        mspec.position or max((m.position for m in media_rows), default=0) + 1
                    )
                    media = Media(product=item.product, external_url=mspec.url, position=position)
                    media_rows.append(media)
                    action = "update" if mspec.line in variant_lines else "create"
                fields = _assign(
                    media,
                    {
                        "alt_text": mspec.alt_text or media.alt_text,
                        "position": mspec.position or media.position,
                        "variant_id": variant.pk if variant else media.variant_id,
                    },
                )
                if variant is not None:
                    media.variant = variant  # cached: Media.clean() reads its product
                if media.pk and not fields:
                    continue
                if not self.valid(mspec.line, media, ["external_url", "alt_text", "position"]):
                    continue
                if media.pk:
                    changed[media.pk] = media
                elif id(media) not in pending:
                    pending.add(id(media))
                    new.append(media)
                item.changed.add("media")
                self.report.mark(mspec.line, action)
        Media.objects.bulk_create(new)
        if changed:
            Media.objects.bulk_update(list(changed.values()), ["alt_text", "position", "variant"])

    # --- history ---------------------------------------------------------------------------

    def _history(self, items: list[_Item]) -> None:
        """One admin history row per product created or changed, saying who imported it."""
        if self.actor is None or not getattr(self.actor, "pk", None):
            return
        content_type = ContentType.objects.get_for_model(Product)
        entries = []
        for item in items:
            if not (item.created or item.changed):
                continue
            product = item.product
            if item.created:
                flag, message = (
                    ADDITION,
                    f"Created by import with {len(item.variants)} variant(s).",
                )
            else:
                flag, message = CHANGE, f"Changed by import: {', '.join(sorted(item.changed))}."
            entries.append(
                LogEntry(
                    user_id=self.actor.pk,
                    content_type=content_type,
                    object_id=str(product.pk),
                    object_repr=str(product)[:200],
                    action_flag=flag,
                    change_message=message,
                )
            )
        LogEntry.objects.bulk_create(entries)


PRODUCT_FIELDS = [
    "title",
    "description",
    "product_type",
    "tags",
    "status",
    "seo_title",
    "seo_description",
    "brand",
    "published_at",
    "updated_at",
]
VARIANT_FIELDS = ["weight_grams", "status", "option_key", "updated_at"]
# The fields a file sets on a new row, validated as the model declares them.
PRODUCT_INPUT = [
    "handle",
    "title",
    "description",
    "product_type",
    "tags",
    "status",
    "seo_title",
    "seo_description",
]
VARIANT_INPUT = ["sku", "weight_grams", "status", "position", "option_key"]
INSERT_CHUNK_PARAMS = 30_000  # below SQLite's 32,766 bound variables; PostgreSQL allows 65,535


def insert_rows(model, names: list[str], rows: list[tuple]) -> None:
    """Insert plain value tuples (validated by the caller) for rows nobody reads back (prices,
    identifiers, option links): building 100,000 model instances for bulk_create, and binding
    their parameters one by one, costs more than the database spends storing them.

    PostgreSQL gets them through COPY; other databases (the embedded SQLite demo) through
    multi-row INSERTs.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
        per_statement = max(1, INSERT_CHUNK_PARAMS // len(names))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))}",
                [value for row in chunk for value in row],
            )


def insert_objects(model, objects: list) -> None:
    """bulk_create, with primary keys set on the objects; COPY on PostgreSQL (see insert_rows).

    On PostgreSQL the keys are taken from the table's sequence first, so the objects know them
    before they are copied in, as bulk_create's RETURNING would tell them.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
    fields = list(meta.concrete_fields)
    # Only dates and JSON need converting for COPY; reading the rest as is saves a call per
    # field per row (100,000 rows x 10 fields).
    plain = {"AutoField", "BigAutoField", "CharField", "SlugField", "TextField", "ForeignKey"}
    plain |= {"IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField"}
    plain |= {"BigIntegerField", "BooleanField"}
    db = connections[DEFAULT_DB_ALIAS]
    readers = [
        (
            (lambda obj, f=f: getattr(obj, f.attname))
            if f.get_internal_type() in plain
            else (lambda obj, f=f: f.get_db_prep_save(f.pre_save(obj, True), db))
        )
        for f in fields
    ]
    rows = []
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        rows.append(tuple(read(obj) for read in readers))
        obj._state.adding, obj._state.db = False, db.alias
    insert_rows(model, [f.name for f in fields], rows)


def update_rows(model, names: list[str], rows: list[tuple]) -> None:
    """UPDATE rows given as (pk, *values) tuples, one statement per chunk."""
    if not rows:
        return
    if connection.vendor != "postgresql":  # the embedded SQLite demo: Django's own way
        objects = [model(pk=row[0], **dict(zip(names, row[1:], strict=True))) for row in rows]
        model.objects.bulk_update(objects, names, batch_size=500)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [model._meta.get_field(name) for name in names]
    casts = [f"%s::{c.db_type(connection)}" for c in columns]
    placeholder = "(%s::bigint, " + ", ".join(casts) + ")"
    sets = ", ".join(f"{quote(c.column)} = v.column{i + 2}" for i, c in enumerate(columns))
    per_statement = max(1, INSERT_CHUNK_PARAMS // (len(names) + 1))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES "
                f"{', '.join([placeholder] * len(chunk))}) AS v "
                f"WHERE {table}.{quote(model._meta.pk.column)} = v.column1",
                [value for row in chunk for value in row],
            )


def _assign(instance, values: dict) -> list[str]:
    """Set the given attributes; return the names of those that changed."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
