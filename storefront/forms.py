"""Storefront listing input: sort order and attribute filters (shape only, all optional)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from storefront.selectors import AttributeFacet

SORT_CHOICES = [
    ("featured", _("Featured")),
    ("newest", _("Newest")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
]
FILTER_PREFIX = "f_"


class ListingForm(forms.Form):
    """`?sort=` plus one `?f_<attribute code>=` per filterable attribute present in the listing.

    Invalid values are ignored rather than reported: a stale or hand-edited link still lists.
    """

    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, facets: list[AttributeFacet] = (), relevance: bool = False, **kw):
        super().__init__(*args, **kw)
        if relevance:
            self.fields["sort"].choices = [("featured", _("Best match")), *SORT_CHOICES[1:]]
        self.facets = list(facets)
        for facet in self.facets:
            self.fields[FILTER_PREFIX + facet.code] = forms.ChoiceField(
                label=facet.name,
                choices=[("", _("Any"))] + list(facet.choices),
                required=False,
            )

    def _valid(self, name: str) -> str:
        if not self.is_bound:
            return ""
        self.is_valid()
        return self.cleaned_data.get(name) or ""

    @property
    def sort_value(self) -> str:
        return self._valid("sort") or "featured"

    @property
    def attribute_filters(self) -> dict[str, str]:
        chosen = {facet.code: self._valid(FILTER_PREFIX + facet.code) for facet in self.facets}
        return {code: value for code, value in chosen.items() if value}

    def filter_fields(self):
        return [self[FILTER_PREFIX + facet.code] for facet in self.facets]
