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
SORT_VALUES = frozenset(value for value, _label in SORT_CHOICES)
FILTER_PREFIX = "f_"
UNKNOWN_SORT_ECHO = 40  # an unknown ?sort= is named back at most this long


def chosen_sort(data) -> str:
    """The listing's order from query `data`: a known `?sort=`, else "featured". What
    ListingForm validates, without building the form (a listing served from the rendered-page
    cache never renders it)."""
    value = data.get("sort") if data else None
    return value if value in SORT_VALUES else "featured"


def chosen_filters(data, facets) -> dict[str, str]:
    """{attribute code: value} of the `?f_<code>=` values in `data` that a facet offers."""
    if not data:
        return {}
    chosen = {}
    for facet in facets:
        value = data.get(FILTER_PREFIX + facet.code)
        if value and value in {str(choice) for choice, _label in facet.choices}:
            chosen[facet.code] = value
    return chosen


def unknown_sort(data) -> str:
    """The `?sort=` value the listing does not know (shown with the featured order), or ""."""
    raw = data.get("sort", "") if data else ""
    return raw[:UNKNOWN_SORT_ECHO] if raw and raw not in SORT_VALUES else ""


def sort_choices(*, relevance: bool) -> list:
    """The sort's choices: a search's first order is its best match."""
    return [("featured", _("Best match")), *SORT_CHOICES[1:]] if relevance else SORT_CHOICES


def listing_selects(data, facets, *, relevance: bool = False) -> list[dict]:
    """ListingForm's fields as the listing controls show them: one select per facet, then the
    sort, each {"name", "id", "label", "options": [{"value", "label", "selected"}]}.

    What the bound form would render (same names, ids, labels, choices and chosen value: see
    tests/storefront/test_listing_choices.py), without building it: the form's copy of its
    fields and a bound field per select were ~0.5 ms of every new listing or search page.
    """
    fields = [
        (FILTER_PREFIX + facet.code, facet.name, [("", _("Any")), *facet.choices])
        for facet in facets
    ]
    sort_label = ListingForm.base_fields["sort"].label
    fields.append(("sort", sort_label, sort_choices(relevance=relevance)))
    selects = []
    for name, label, choices in fields:
        chosen = (data.get(name) if data else None) or ""
        options = [
            {"value": value, "label": text, "selected": str(value) == chosen}
            for value, text in choices
        ]
        selects.append({"name": name, "id": f"id_{name}", "label": label, "options": options})
    return selects


class ListingForm(forms.Form):
    """`?sort=` plus one `?f_<attribute code>=` per filterable attribute present in the listing.

    Invalid values are ignored rather than reported: a stale or hand-edited link still lists.
    """

    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, facets: list[AttributeFacet] = (), relevance: bool = False, **kw):
        super().__init__(*args, **kw)
        if relevance:
            self.fields["sort"].choices = sort_choices(relevance=True)
        self.facets = list(facets)
        for facet in self.facets:
            self.fields[FILTER_PREFIX + facet.code] = forms.ChoiceField(
                label=facet.name,
                choices=[("", _("Any"))] + list(facet.choices),
                required=False,
            )

    @property
    def sort_value(self) -> str:
        return chosen_sort(self.data if self.is_bound else None)

    @property
    def attribute_filters(self) -> dict[str, str]:
        return chosen_filters(self.data if self.is_bound else None, self.facets)
