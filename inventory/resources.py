"""Stock counts as CSV/XLSX (sku, location, on_hand) through django-import-export.

Rows are never saved by the Resource. Each row is checked (known SKU, known location, a whole
number) against what the file names, read in two queries; the counts are then handed to
`sync_stock_levels` once per location, the batch path a WMS snapshot takes (locks in pk order,
one bulk update, the ledger), inside the import's transaction: all of the file or none of it.
A dry run runs the same service inside a transaction that is rolled back, so the preview shows
real errors. Files are read within bounds (shop.spreadsheets): rows capped, the declared sheet
size ignored, a malformed workbook a form error.
"""

from collections import defaultdict

import tablib
from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.widgets import ForeignKeyWidget, IntegerWidget

from catalog.models import Variant
from inventory import services
from inventory.models import Location, StockLevel
from shop.exceptions import DomainError
from shop.spreadsheets import read_csv_text, read_xlsx


class NamedForeignKeyWidget(ForeignKeyWidget):
    """A lookup whose error names the value that matched nothing ("No SKU 'X'."), instead of
    Django's bare "matching query does not exist". Looks values up in `known` (filled for the
    whole file before its rows are read) when given, else in the database."""

    def __init__(self, model, field, *, label: str):
        super().__init__(model, field)
        self.label = label
        self.known: dict[str, object] | None = None

    def clean(self, value, row=None, **kwargs):
        if self.known is not None and value not in (None, ""):
            found = self.known.get(str(value).strip())
            if found is None:
                raise ValueError(f"No {self.label} '{value}' exists.")
            return found
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"No {self.label} '{value}' exists.") from None


class StockLevelResource(resources.ModelResource):
    sku = fields.Field(
        attribute="variant",
        column_name="sku",
        widget=NamedForeignKeyWidget(Variant, "sku", label="SKU"),
    )
    location = fields.Field(
        attribute="location",
        column_name="location",
        widget=NamedForeignKeyWidget(Location, "code", label="location"),
    )
    on_hand = fields.Field(attribute="on_hand", column_name="on_hand", widget=IntegerWidget())

    class Meta:
        model = StockLevel
        fields = ("sku", "location", "on_hand")
        export_order = ("sku", "location", "on_hand")
        import_id_fields = ("sku", "location")
        skip_unchanged = True
        report_skipped = True
        # No savepoint per row: rows only collect counts; sync_stock_levels writes them.
        use_bulk = True

    def get_queryset(self):
        return StockLevel.objects.select_related("variant", "location").order_by(
            "variant__sku", "location__code"
        )

    def before_import(self, dataset, **kwargs):
        """Read every SKU, location and stock row the file names: three queries, not three a
        row."""
        self.counts: dict[Location, dict[str, int]] = defaultdict(dict)
        headers = [str(h).strip().lower() for h in dataset.headers or []]
        column = {name: headers.index(name) for name in ("sku", "location") if name in headers}
        skus = {str(r[column["sku"]]).strip() for r in dataset} if "sku" in column else set()
        codes = (
            {str(r[column["location"]]).strip() for r in dataset}
            if "location" in column
            else set()
        )
        variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus)}
        locations = {loc.code: loc for loc in Location.objects.filter(code__in=codes)}
        self.fields["sku"].widget.known = variants
        self.fields["location"].widget.known = locations
        self.levels = {
            (level.variant_id, level.location_id): level
            for level in StockLevel.objects.filter(
                variant__in=variants.values(), location__in=locations.values()
            )
        }

    def get_instance(self, instance_loader, row):
        variant = self.fields["sku"].clean(row)
        location = self.fields["location"].clean(row)
        return self.levels.get((variant.pk, location.pk))

    def save_instance(self, instance, is_create, row, **kwargs):
        """Collect the count; after_import applies them per location in one batch each."""
        self.counts[instance.location][instance.variant.sku] = instance.on_hand

    def after_import(self, dataset, result, **kwargs):
        user = kwargs.get("user")
        actor = user if user is not None and user.is_authenticated else None
        if result.has_errors() or result.has_validation_errors():
            return  # the file is refused anyway: write nothing, report the rows
        now = timezone.now()
        for location in sorted(self.counts, key=lambda loc: loc.pk):
            items = sorted(self.counts[location].items())
            try:
                services.sync_stock_levels(
                    location=location,
                    as_of=now,
                    items=items,
                    source="import",
                    actor=actor,
                    reference="stock import",
                )
            except DomainError as exc:
                raise ValidationError(f"{location.code}: {exc}") from None


class BoundedCSV(base_formats.CSV):
    """CSV read by shop.spreadsheets: at most SPREADSHEET_MAX_ROWS rows."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        header, records = read_csv_text(in_stream.lstrip("\ufeff"))
        return _dataset(header, records)


class BoundedXLSX(base_formats.XLSX):
    """XLSX read by shop.spreadsheets: declared size ignored, rows capped, XML defused."""

    def create_dataset(self, in_stream):
        header, records = read_xlsx(in_stream)
        return _dataset(header, records)


def _dataset(header: list[str], records) -> tablib.Dataset:
    width = len(header)
    dataset = tablib.Dataset(headers=header)
    for _line, cells in records:
        row = (list(cells) + [""] * width)[:width]
        if any(str(cell).strip() for cell in row):
            dataset.append(row)
    return dataset
