"""Forms of the returns console: one field set per RMA line, built for the RMA at hand."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Location
from returns.models import Disposition, ReceptionOutcome


class MessageForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the customer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(MessageForm):
    message = forms.CharField(
        label=_("Why (sent to the customer)"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I checked the amount and its breakdown"))


class ReceiveForm(forms.Form):
    """Per line: units that arrived, the outcome (blank: from the count), condition notes."""

    def __init__(self, *args, rma, **kwargs):
        super().__init__(*args, **kwargs)
        self.rma_lines = list(rma.lines.select_related("order_line"))
        for line in self.rma_lines:
            label = f"{line.order_line.sku} ({line.quantity} requested)"
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=label, min_value=0, max_value=line.quantity, initial=line.quantity
            )
            self.fields[f"outcome_{line.pk}"] = forms.ChoiceField(
                label=_("Outcome"),
                choices=[("", _("From the count"))] + ReceptionOutcome.choices,
                required=False,
            )
            self.fields[f"notes_{line.pk}"] = forms.CharField(
                label=_("Condition notes"), required=False
            )

    def service_lines(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "line_id": line.order_line.public_id,
                "quantity": data[f"qty_{line.pk}"],
                "outcome": data[f"outcome_{line.pk}"] or None,
                "condition_notes": data[f"notes_{line.pk}"],
            }
            for line in self.rma_lines
        ]


class InspectForm(forms.Form):
    """Per line with units back: disposition and location (blank: the service's default)."""

    def __init__(self, *args, rma, **kwargs):
        super().__init__(*args, **kwargs)
        self.rma_lines = [
            line for line in rma.lines.select_related("order_line") if line.received_quantity
        ]
        locations = Location.objects.filter(is_active=True).order_by("code")
        for line in self.rma_lines:
            self.fields[f"disposition_{line.pk}"] = forms.ChoiceField(
                label=f"{line.order_line.sku} ({line.received_quantity} received)",
                choices=[("", "---------")] + Disposition.choices,
                required=False,
            )
            self.fields[f"location_{line.pk}"] = forms.ModelChoiceField(
                label=_("Location"),
                queryset=locations,
                to_field_name="code",
                required=False,
                help_text=_("Blank: where it shipped from (refurbish: the refurbishment centre)"),
            )
            self.fields[f"notes_{line.pk}"] = forms.CharField(
                label=_("Condition notes"), required=False
            )

    def service_lines(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "line_id": line.order_line.public_id,
                "disposition": data[f"disposition_{line.pk}"],
                "location": data[f"location_{line.pk}"].code
                if data[f"location_{line.pk}"]
                else None,
                "condition_notes": data[f"notes_{line.pk}"],
            }
            for line in self.rma_lines
        ]
