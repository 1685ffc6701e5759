"""The storefront's return form: a quantity, reason and note per returnable line."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from returns.models import ReturnReason


class ReturnItemsForm(forms.Form):
    note = forms.CharField(
        label=_("Anything we should know?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.states = states
        for state in states:
            key = state.line.public_id
            self.fields[f"qty_{key}"] = forms.TypedChoiceField(
                label=_("Quantity to return"),
                choices=[(n, n) for n in range(state.max_quantity + 1)],
                coerce=int,
                initial=0,
                required=False,
                empty_value=0,
            )
            self.fields[f"reason_{key}"] = forms.ChoiceField(
                label=_("Reason"),
                choices=[("", _("Choose a reason"))] + ReturnReason.choices,
                required=False,
            )
            self.fields[f"note_{key}"] = forms.CharField(
                label=_("Details"), required=False, max_length=500
            )

    def clean(self):
        cleaned = super().clean()
        chosen = 0
        for state in self.states:
            key = state.line.public_id
            if cleaned.get(f"qty_{key}"):
                chosen += 1
                if not cleaned.get(f"reason_{key}"):
                    self.add_error(f"reason_{key}", _("Choose a reason for this item."))
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choose at least one item to return."))
        return cleaned

    def rows(self):
        return [
            {
                "state": state,
                "qty": self[f"qty_{state.line.public_id}"],
                "reason": self[f"reason_{state.line.public_id}"],
                "note": self[f"note_{state.line.public_id}"],
            }
            for state in self.states
        ]

    def service_lines(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "line_id": state.line.public_id,
                "quantity": data[f"qty_{state.line.public_id}"],
                "reason": data[f"reason_{state.line.public_id}"],
                "note": data[f"note_{state.line.public_id}"],
            }
            for state in self.states
            if data.get(f"qty_{state.line.public_id}")
        ]
