"""Stock counts as CSV/XLSX (sku, location, on_hand) through django-import-export.

Rows are never saved by the Resource: each one is an absolute count handed to
`set_stock_count`, which takes the row lock and writes the ledger. A dry run runs the same
service inside a transaction that is rolled back, so the preview shows real errors.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget, IntegerWidget

from catalog.models import Variant
from inventory import services
from inventory.models import Location, StockLevel
from shop.exceptions import DomainError


class NamedForeignKeyWidget(ForeignKeyWidget):
    """A lookup whose error names the value that matched nothing ("No SKU 'X'."), instead of
    Django's bare "matching query does not exist"."""

    def __init__(self, model, field, *, label: str):
        super().__init__(model, field)
        self.label = label

    def clean(self, value, row=None, **kwargs):
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

    def get_queryset(self):
        return StockLevel.objects.select_related("variant", "location").order_by(
            "variant__sku", "location__code"
        )

    def save_instance(self, instance, is_create, row, **kwargs):
        user = kwargs.get("user")
        try:
            services.set_stock_count(
                variant=instance.variant,
                location=instance.location,
                on_hand=instance.on_hand,
                source="import",
                actor=user if user is not None and user.is_authenticated else None,
            )
        except DomainError as exc:
            raise ValidationError(str(exc)) from None
