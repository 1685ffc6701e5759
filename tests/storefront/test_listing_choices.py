"""The listing's sort and filters read straight from the query string (chosen_sort,
chosen_filters, unknown_sort) agree with what ListingForm's own validation accepts, so a page
served from the rendered-page cache, which never builds the form, lists what a rendered one
would."""

import pytest
from django.http import QueryDict

from storefront.forms import (
    ListingForm,
    chosen_filters,
    chosen_sort,
    listing_selects,
    unknown_sort,
)
from storefront.selectors import AttributeFacet

FACETS = [
    AttributeFacet(code="color", name="Color", choices=[("black", "Black"), ("navy", "Navy")]),
    AttributeFacet(code="fit", name="Fit", choices=[("slim", "Slim"), ("1", "One")]),
]
QUERIES = [
    "",
    "sort=price_asc",
    "sort=newest&sort=price_desc",  # the last value counts, as in Django's forms
    "sort=PRICE_ASC",
    "sort=price_asc%20",
    "sort=" + "x" * 300,
    "sort=",
    "f_color=black",
    "f_color=black&f_fit=slim&sort=newest",
    "f_color=red",
    "f_color=",
    "f_color=Black",
    "f_fit=1",
    "f_size=m&f_color=navy",
    "page=2&f_fit=slim&f_fit=nope",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("relevance", [False, True])
def test_the_query_string_reading_agrees_with_the_forms_validation(query, relevance):
    data = QueryDict(query)
    form = ListingForm(data or None, facets=FACETS, relevance=relevance)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    sort_field = form.fields["sort"]
    valid_sort = query and sort_field.valid_value(data.get("sort", ""))

    expected_filters = {
        facet.code: cleaned[f"f_{facet.code}"]
        for facet in FACETS
        if cleaned.get(f"f_{facet.code}")
    }
    assert chosen_filters(data, FACETS) == expected_filters
    assert chosen_sort(data) == (
        data.get("sort") if valid_sort and data.get("sort") else "featured"
    )
    assert form.sort_value == chosen_sort(data)
    assert unknown_sort(data) == (
        "" if not data.get("sort") or valid_sort else data.get("sort")[:40]
    )


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("relevance", [False, True])
def test_the_listing_selects_are_what_the_bound_forms_fields_render(query, relevance):
    data = QueryDict(query)
    form = ListingForm(data or None, facets=FACETS, relevance=relevance)
    fields = [form[f"f_{facet.code}"] for facet in FACETS] + [form["sort"]]

    expected = [
        {
            "name": field.html_name,
            "id": field.id_for_label,
            "label": str(field.label),
            "options": [
                (str(value), str(label), value == (field.value() or ""))
                for value, label in field.field.choices
            ],
        }
        for field in fields
    ]
    selects = listing_selects(data, FACETS, relevance=relevance)
    assert [
        {
            **select,
            "label": str(select["label"]),
            "options": [
                (str(o["value"]), str(o["label"]), o["selected"]) for o in select["options"]
            ],
        }
        for select in selects
    ] == expected
