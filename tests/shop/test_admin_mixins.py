"""shop.admin_mixins: admin pages that save through services, for every app's admin."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog import services
from shop.admin_mixins import (
    RefusalFormMixin,
    ServiceRefused,
    ServiceSaveMixin,
    _with_refusal,
    form_at,
)
from shop.exceptions import Conflict, DomainError, ValidationFailed
from tests.factories.catalog import ProductFactory


class TitleForm(forms.Form):
    title = forms.CharField()


def _refusal_of(exc, locate=None):
    def service(**kwargs):
        raise exc

    with pytest.raises(ServiceRefused) as caught:
        ServiceSaveMixin.call_service(service, locate)
    return caught.value.refusal


def test_call_service_returns_what_the_service_returns():
    assert ServiceSaveMixin.call_service(lambda **kw: kw["n"] * 2, n=21) == 42


def test_a_validation_failure_lands_on_the_fields_and_rows_it_names():
    exc = ValidationFailed(
        "Two problems.", fields={"title": ["Too long."], "rows": {"1": {"sku": ["Taken."]}}}
    )

    def locate(path):
        return ("", path[0]) if path[0] != "rows" else (f"rows-{path[1]}", path[2])

    assert _refusal_of(exc, locate) == {
        "": [("title", "Too long.")],
        "rows-1": [("sku", "Taken.")],
    }


def test_a_conflicts_fields_and_a_plain_refusal_land_on_the_form():
    conflict = Conflict("Taken meanwhile.", fields={"handle": ["Taken meanwhile."]})

    assert _refusal_of(conflict) == {"": [("handle", "Taken meanwhile.")]}
    assert _refusal_of(DomainError("Not now.")) == {"": [(None, "Not now.")]}


def test_a_form_class_gets_the_refusal_once_whether_or_not_it_had_the_mixin():
    class AlreadyAware(RefusalFormMixin, TitleForm):
        pass

    refusal = {"": [("title", "Taken meanwhile."), (None, "Reload the page.")]}
    plain = _with_refusal(TitleForm, RefusalFormMixin, refusal)(data={"title": "Cap"})
    aware = _with_refusal(AlreadyAware, RefusalFormMixin, refusal)(data={"title": "Cap"})

    for form in (plain, aware):
        assert form.is_valid() is False
        assert form.errors == {
            "title": ["Taken meanwhile."],
            "__all__": ["Reload the page."],
        }


def test_form_at_finds_the_row_a_path_names():
    rows = ["row0", "row1"]

    assert [form_at(rows, p, 1) for p in [("v", "1"), ("v", "2"), ("v", "x"), ("v",)]] == [
        "row1",
        None,
        None,
        None,
    ]


@pytest.mark.django_db
def test_a_refused_delete_returns_to_the_page_with_the_message(client, merchandiser, monkeypatch):
    product = ProductFactory(title="Cap")
    client.force_login(merchandiser)

    def refuse(**kwargs):
        raise Conflict("Cap gained a variant meanwhile; archive it instead.")

    monkeypatch.setattr(services, "delete_product", refuse)

    url = reverse("admin:catalog_product_delete", args=[product.pk])
    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_product_change", args=[product.pk])
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Cap gained a variant meanwhile; archive it instead."
    ]
    product.refresh_from_db()
