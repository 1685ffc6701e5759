"""Every status change of a product goes through catalog.services.publishing, whichever
interface asks; mark_published is the only code that stamps `published_at`.

Issue 6: changing the status to active in the product's admin change form saved the field
directly, leaving `published_at` empty (such products topped every "featured" listing on
PostgreSQL) and no history row saying who published it.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from catalog import services
from catalog.models import Product, ProductStatus
from catalog.services import publishing
from tests.catalog.service_bodies import _body, _record_calls
from tests.catalog.test_admin import ADD, option_row, product_post, tee_post, variant_row
from tests.factories.catalog import ProductFactory

pytestmark = pytest.mark.django_db

LAUNCH = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _history(product):
    return list(
        LogEntry.objects.filter(object_id=str(product.pk))
        .order_by("pk")
        .values_list("user__email", "change_message")
    )


# --- the admin's change form ------------------------------------------------------------------


def test_admin_status_change_to_active_publishes_stamps_and_records_who(merch_client, tee):
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    response = merch_client.post(url, tee_post(tee) | {"status": "active"})

    assert response.status_code == 302
    tee.refresh_from_db()
    assert tee.status == ProductStatus.ACTIVE
    assert tee.published_at is not None
    assert ("merch@example.com", "Published.") in _history(tee)


def test_admin_status_change_goes_through_publish_products(merch_client, tee, monkeypatch):
    calls = _record_calls(monkeypatch, publishing, "publish_products")
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    merch_client.post(url, tee_post(tee) | {"status": "active"})

    assert [(list(c["products"]), c["actor"].email) for c in calls] == [
        ([tee], "merch@example.com")
    ]


def test_admin_status_change_to_archived_and_back_to_draft_keeps_the_first_publication(
    merch_client, tee
):
    publishing.publish_products(products=[tee], actor=None)
    tee.refresh_from_db()
    first = tee.published_at
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    archived = merch_client.post(url, tee_post(tee) | {"status": "archived"})
    tee.refresh_from_db()
    archived_state = (tee.status, tee.published_at)
    drafted = merch_client.post(url, tee_post(tee) | {"status": "draft"})

    tee.refresh_from_db()
    assert (archived.status_code, drafted.status_code) == (302, 302)
    assert archived_state == (ProductStatus.ARCHIVED, first)
    assert (tee.status, tee.published_at) == (ProductStatus.DRAFT, first)
    messages = [m for _, m in _history(tee)]
    assert [m for m in messages if m in ("Archived.", "Moved back to draft.")] == [
        "Archived.",
        "Moved back to draft.",
    ]


def test_admin_add_as_active_publishes_through_the_service(merch_client):
    data = product_post(
        options=[option_row("Size", "S")],
        variants=[variant_row("SHIRT-S", "S", usd="19.99")],
        status="active",
    )

    response = merch_client.post(ADD, data)

    assert response.status_code == 302
    product = Product.objects.get(handle="linen-shirt")
    assert product.status == ProductStatus.ACTIVE
    assert product.published_at is not None
    added = (
        '[{"added": {}}, {"added": {"name": "option", "object": "Size"}}, '
        '{"added": {"name": "variant", "object": "SHIRT-S"}}]'
    )
    assert _history(product) == [("merch@example.com", "Published."), ("merch@example.com", added)]


def test_admin_save_without_status_change_publishes_nothing(merch_client, tee, monkeypatch):
    calls = _record_calls(monkeypatch, publishing, "publish_products")
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    response = merch_client.post(url, tee_post(tee) | {"title": "Tee shirt"})

    tee.refresh_from_db()
    assert response.status_code == 302
    assert (tee.title, tee.status, tee.published_at) == ("Tee shirt", "draft", None)
    assert calls == []
    assert "Published." not in [m for _, m in _history(tee)]


# --- the publishing service -------------------------------------------------------------------


def test_mark_published_stamps_only_the_first_time():
    product = Product(status=ProductStatus.DRAFT)

    first = publishing.mark_published(product, now=LAUNCH)
    again = publishing.mark_published(product, now=datetime(2027, 1, 1, tzinfo=UTC))

    assert (first, again) == (True, False)
    assert (product.status, product.published_at) == (ProductStatus.ACTIVE, LAUNCH)


def test_create_product_as_active_stamps_through_mark_published(monkeypatch):
    calls = []
    real = publishing.mark_published
    monkeypatch.setattr(
        publishing, "mark_published", lambda product, **kw: calls.append(product) or real(product)
    )

    product = services.create_product(data=_body(status="active"), actor=None)

    product.refresh_from_db()
    assert calls == [product]
    assert product.published_at is not None


def test_unpublish_products_moves_to_draft_keeps_published_at_and_records(merchandiser):
    live = ProductFactory(status=ProductStatus.ACTIVE, published_at=LAUNCH)
    draft = ProductFactory(status=ProductStatus.DRAFT)

    count = publishing.unpublish_products(products=[live, draft], actor=merchandiser)

    live.refresh_from_db()
    assert count == 1
    assert (live.status, live.published_at) == (ProductStatus.DRAFT, LAUNCH)
    assert _history(live) == [("merch@example.com", "Moved back to draft.")]
    assert _history(draft) == []


@pytest.mark.parametrize(
    ("status", "message"),
    [("active", "Published."), ("archived", "Archived."), ("draft", "Moved back to draft.")],
)
def test_change_product_status_uses_the_service_for_each_status(status, message, merchandiser):
    product = ProductFactory(status=ProductStatus.ACTIVE if status == "draft" else "draft")

    changed = publishing.change_product_status(product=product, status=status, actor=merchandiser)

    assert changed is True
    assert product.status == status
    assert _history(product) == [("merch@example.com", message)]
