"""catalog.services.update_product: a product's own fields and status (through publishing)."""

import pytest
from django.contrib.admin.models import LogEntry

from catalog import services
from catalog.models import ProductStatus
from catalog.services import publishing
from shop.exceptions import ValidationFailed
from tests.catalog.service_bodies import _body, _record_calls
from tests.factories.catalog import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


# --- update_product -------------------------------------------------------------------------


def test_update_product_changes_fields_brand_and_categories(merchandiser):
    product = ProductFactory(status=ProductStatus.DRAFT, published_at=None)
    category = CategoryFactory(slug="tees")

    services.update_product(
        product=product,
        data={
            "title": "New title",
            "status": "active",
            "brand": "Fresh Brand",
            "categories": ["tees"],
            "tags": ["summer", "summer", "cotton"],
            "seo_title": "SEO",
        },
        actor=merchandiser,
    )

    product.refresh_from_db()
    assert (product.title, product.status, product.seo_title) == ("New title", "active", "SEO")
    assert product.published_at is not None
    assert product.brand.name == "Fresh Brand"
    assert list(product.categories.all()) == [category]
    assert product.tags == ["summer", "cotton"]


@pytest.mark.parametrize(
    ("status", "service"),
    [(ProductStatus.ACTIVE, "publish_products"), (ProductStatus.ARCHIVED, "archive_products")],
)
def test_update_product_changes_status_through_publishing(
    status, service, merchandiser, monkeypatch
):
    product = ProductFactory(status=ProductStatus.DRAFT, published_at=None)
    calls = _record_calls(monkeypatch, publishing, service)

    result = services.update_product(product=product, data={"status": status}, actor=merchandiser)

    assert calls == [{"products": [result], "actor": merchandiser, "audit": False}]
    assert LogEntry.objects.count() == 1  # update_product's own row, not a second one
    product.refresh_from_db()
    assert (product.status, result.status) == (status, status)
    assert result.published_at == product.published_at


def test_publish_and_archive_record_who_did_it_once_per_changed_product(merchandiser):
    draft, live = ProductFactory(status="draft"), ProductFactory(status="active")

    published = publishing.publish_products(products=[draft, live], actor=merchandiser)
    archived = publishing.archive_products(products=[draft], actor=merchandiser)

    assert (published, archived) == (1, 1)
    assert list(
        LogEntry.objects.order_by("pk").values_list("user__email", "object_id", "change_message")
    ) == [
        ("merch@example.com", str(draft.pk), "Published."),
        ("merch@example.com", str(draft.pk), "Archived."),
    ]


def test_update_product_archive_keeps_published_at_and_republish_keeps_it_too(merchandiser):
    product = services.create_product(data=_body(status="active"), actor=None)
    published_at = product.published_at

    archived = services.update_product(
        product=product, data={"status": "archived"}, actor=merchandiser
    )
    active = services.update_product(
        product=product, data={"status": "active"}, actor=merchandiser
    )

    assert (archived.status, archived.published_at) == ("archived", published_at)
    assert (active.status, active.published_at) == ("active", published_at)
    assert [e.change_message for e in LogEntry.objects.order_by("pk")] == [
        "Changed status via the API.",
        "Changed status via the API.",
    ]


def test_update_product_publishing_records_status_and_published_at(merchandiser):
    product = ProductFactory(title="Old", status=ProductStatus.DRAFT, published_at=None)

    services.update_product(
        product=product, data={"title": "New", "status": "active"}, actor=merchandiser
    )

    assert LogEntry.objects.get().change_message == (
        "Changed title, status, published_at via the API."
    )


def test_update_product_back_to_draft_keeps_published_at():
    product = services.create_product(data=_body(status="active"), actor=None)

    result = services.update_product(product=product, data={"status": "draft"}, actor=None)

    product.refresh_from_db()
    assert (product.status, product.published_at) == ("draft", result.published_at)
    assert product.published_at is not None


def test_update_product_with_unchanged_status_does_not_call_publishing(monkeypatch):
    product = ProductFactory(status=ProductStatus.ACTIVE)
    calls = _record_calls(monkeypatch, publishing, "publish_products")

    services.update_product(product=product, data={"status": "active"}, actor=None)

    assert calls == []


def test_update_product_clears_brand_with_null():
    product = ProductFactory()

    services.update_product(product=product, data={"brand": None}, actor=None)

    product.refresh_from_db()
    assert product.brand is None


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (
            {"status": "gone"},
            {"status": ["Unknown status 'gone'; use draft, active or archived."]},
        ),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        (
            {"handle": "Bad Handle"},
            {"handle": ["Use lower-case letters, digits, hyphens and underscores only."]},
        ),
        ({"categories": ["nope"]}, {"categories": {"0": ["There is no category 'nope'."]}}),
    ],
)
def test_update_product_refuses_bad_input_and_changes_nothing(data, fields):
    product = ProductFactory(title="Old", status=ProductStatus.ACTIVE)

    with pytest.raises(ValidationFailed) as caught:
        services.update_product(product=product, data={"title": "Changed", **data}, actor=None)

    assert caught.value.fields == fields
    product.refresh_from_db()
    assert (product.title, product.status) == ("Old", "active")


def test_update_product_refuses_options_and_variants():
    product = ProductFactory()

    with pytest.raises(ValidationFailed) as caught:
        services.update_product(product=product, data={"variants": []}, actor=None)

    assert list(caught.value.fields) == ["variants"]
