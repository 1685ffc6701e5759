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

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
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
)
from catalog.services.batch_existing import ExistingRows
from catalog.services.batch_input import (  # noqa: F401 - the writer's input, re-exported
    MediaSpec,
    ProductSpec,
    Progress,
    RowReport,
    VariantSpec,
    assign,
)
from catalog.services.batch_variants import VariantRows
from catalog.services.brands import get_or_create_brand
from catalog.services.bulk_sql import NewRow, insert_new, insert_objects
from catalog.services.publishing import mark_published
from catalog.services.search_index import refresh_search_documents
from catalog.services.storefront_versions import bump_product_versions

BATCH_ROWS = 1000


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


class _Writer(VariantRows):
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
        existing = ExistingRows(specs)
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
        # What the storefront search reads: one statement pair for the whole batch.
        refresh_search_documents(
            product_ids=[item.product.pk for item in items if item.created or item.changed]
        )
        bump_product_versions(
            product_ids=[item.product.pk for item in items if item.created or item.changed],
            category_ids=set().union(*existing.categories.values()),
        )
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

    def _products(self, items: list[_Item], existing: ExistingRows) -> None:
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
            fields = assign(product, spec.fields)
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
        insert_objects(Product, new)
        if changed:
            Product.objects.bulk_update(changed, PRODUCT_FIELDS)

    def _categories(self, items: list[_Item], existing: ExistingRows) -> None:
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

    def _options(self, items: list[_Item], existing: ExistingRows) -> None:
        """Create missing options and values; map (option index, lower value) -> its value row.

        New options and values are plain rows (NewRow), not model instances: a file of 20,000
        products brings 180,000 of them. Their only field rules are the columns' lengths.
        """
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
                    option = NewRow(product_id=item.product.pk, name=name, position=index)
                    options.append(option)
                    known = {}
                position = max((v.position for v in known.values()), default=-1) + 1
                for text in texts:
                    if text.lower() not in known:
                        known[text.lower()] = NewRow(option=option, value=text, position=position)
                        values.append(known[text.lower()])
                        position += 1
                item.values.update({(index, key): value for key, value in known.items()})
            too_long = [(o.name, OPTION_NAME) for o in options] + [
                (v.value, OPTION_VALUE) for v in values
            ]
            too_long = [(text, limit) for text, limit in too_long if len(text) > limit]
            for text, limit in too_long:
                message = f"Ensure this value has at most {limit} characters (it has {len(text)})."
                self.error(spec.line, "options", message)
            if too_long:
                item.ok = False
                continue
            if options or values:
                item.changed.add("options")
                item.product_changed = True
            new_options += options
            new_values += values
        insert_new(Option, ["product_id", "name", "position"], new_options)
        for value in new_values:
            value.option_id = value.option.pk
        insert_new(OptionValue, ["option_id", "value", "position"], new_values)

    # --- variants ------------------------------------------------------------------------

    # --- media -----------------------------------------------------------------------------

    def _media(self, items: list[_Item], existing: ExistingRows) -> None:
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
                fields = assign(
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


OPTION_NAME = Option._meta.get_field("name").max_length
OPTION_VALUE = OptionValue._meta.get_field("value").max_length
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
