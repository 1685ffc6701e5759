"""Forms of the fulfillment console (orders/admin/fulfillment.py). They check the shape of
the input; the services check the rules (docs/orders.md, "Fulfillment") and their refusals
come back as form errors."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from inventory.models import Location
from orders.models import Carrier, Order, OrderLine
from orders.models.shipments import TRACKING_NUMBER_MAX_LENGTH, TRACKING_URL_MAX_LENGTH
from orders.services.shipments import held_at_locations, shippable_quantities

CARRIER_CHOICES = [("", "—"), *Carrier.choices]
MAX_CSV_BYTES = 1024 * 1024
MAX_CSV_ROWS = 5000
# Wide enough that a too-long or marked-up value reaches the service, whose error says why.
LOOSE_TEXT = 20_000


class CreateShipmentForm(forms.Form):
    """Which location, and how many units of each line, go in a new shipment."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), label=_("Ship from"), empty_label=None
    )
    carrier = forms.ChoiceField(choices=CARRIER_CHOICES, required=False)
    tracking_number = forms.CharField(required=False, max_length=LOOSE_TEXT)

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        left = shippable_quantities(order)
        held = held_at_locations(order)
        self.fields["location"].queryset = Location.objects.active().order_by("priority", "code")
        holding = {pk for places in held.values() for pk, units in places.items() if units}
        if len(holding) == 1:
            self.fields["location"].initial = holding.pop()
        codes = dict(Location.objects.values_list("pk", "code"))
        self.line_fields: list[tuple[OrderLine, str, int, str]] = []
        for line in order.lines.select_related("variant").order_by("pk"):
            name = f"line_{line.public_id}"
            where = ", ".join(f"{codes.get(pk, pk)}: {n}" for pk, n in held[line.pk].items())
            self.fields[name] = forms.IntegerField(
                label=f"{line.sku} — {line.title}",
                min_value=0,
                max_value=left[line.pk],
                initial=0,
                required=False,
                help_text=_("%(left)d left to ship; held at %(where)s")
                % {"left": left[line.pk], "where": where or "—"},
            )
            self.line_fields.append((line, name, left[line.pk], where))

    def line_quantities(self) -> dict[OrderLine, int]:
        return {
            line: self.cleaned_data.get(name) or 0
            for line, name, _left, _where in self.line_fields
            if self.cleaned_data.get(name)
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.line_quantities():
            raise forms.ValidationError(_("Put at least one unit in the shipment."))
        return cleaned


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(choices=CARRIER_CHOICES, required=False)
    tracking_number = forms.CharField(
        required=False,
        max_length=LOOSE_TEXT,
        help_text=_("Letters, digits, spaces and dashes; at most %(n)d characters.")
        % {"n": TRACKING_NUMBER_MAX_LENGTH},
    )
    tracking_url = forms.CharField(
        required=False,
        max_length=LOOSE_TEXT,
        help_text=_("https://…, at most %(n)d characters; empty: the carrier's tracking page.")
        % {"n": TRACKING_URL_MAX_LENGTH},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=255)


class RerouteForm(forms.Form):
    line = forms.ModelChoiceField(queryset=OrderLine.objects.none())
    source = forms.ModelChoiceField(queryset=Location.objects.none(), label=_("From"))
    destination = forms.ModelChoiceField(queryset=Location.objects.none(), label=_("To"))
    quantity = forms.IntegerField(min_value=1, max_value=999)

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = order.lines.order_by("pk")
        self.fields["line"].label_from_instance = lambda ln: f"{ln.sku} — {ln.title}"
        locations = Location.objects.active().order_by("priority", "code")
        self.fields["source"].queryset = locations
        self.fields["destination"].queryset = locations


def _when(text: str):
    text = (text or "").strip()
    if not text:
        return None
    day = parse_date(text) if len(text) == 10 else None
    moment = None if day else parse_datetime(text)
    if moment is None:
        if day is None:
            raise ValueError(text)
        # A date alone: the end of that day, or now for today's (never in the future), so a
        # parcel shipped and delivered the same day reads right.
        moment = timezone.make_aware(datetime(day.year, day.month, day.day, 23, 59, 59))
        return min(moment, timezone.now())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_delivery_csv(text: str) -> list[tuple[str, object]]:
    """[(tracking number, delivered_at or None)] from CSV text with a `tracking_number`
    column and an optional `delivered_at` (ISO date or date-time). Raises ValidationError
    naming the row of the first problem."""
    if "\x00" in text:
        raise forms.ValidationError(_("The file is not a CSV text file."))
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    if "tracking_number" not in columns:
        raise forms.ValidationError(_("The CSV needs a tracking_number column (header row)."))
    reader.fieldnames = columns
    rows: list[tuple[str, object]] = []
    for number, row in enumerate(reader, start=2):
        if len(rows) >= MAX_CSV_ROWS:
            raise forms.ValidationError(_("At most %(n)d parcels per file.") % {"n": MAX_CSV_ROWS})
        tracking = (row.get("tracking_number") or "").strip()
        if not tracking:
            continue
        if len(tracking) > TRACKING_NUMBER_MAX_LENGTH:
            raise forms.ValidationError(
                _("Row %(row)d: a tracking number has at most %(n)d characters.")
                % {"row": number, "n": TRACKING_NUMBER_MAX_LENGTH}
            )
        try:
            when = _when(row.get("delivered_at") or "")
        except ValueError:
            raise forms.ValidationError(
                _("Row %(row)d: delivered_at is not a date (use 2026-12-01).") % {"row": number}
            ) from None
        rows.append((tracking, when))
    if not rows:
        raise forms.ValidationError(_("The file lists no tracking numbers."))
    return rows


class DeliveryCsvForm(forms.Form):
    """Step 1: the file. Step 2 (preview) re-posts its text in `csv_text` to confirm."""

    file = forms.FileField(required=False, label=_("CSV file"))
    csv_text = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > MAX_CSV_BYTES:
                raise forms.ValidationError(_("The file is larger than 1 MB."))
            try:
                cleaned["csv_text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not cleaned.get("csv_text"):
            raise forms.ValidationError(_("Choose a CSV file."))
        cleaned["rows"] = parse_delivery_csv(cleaned["csv_text"])
        return cleaned
