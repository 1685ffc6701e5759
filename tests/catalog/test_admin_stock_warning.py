"""The product admin warns when an active product has no sellable stock in any market.

Issue 6: a merchandiser publishing a product nobody can buy got no warning. Stock is read
through the catalog's availability port (inventory's ATP reader in this project).
"""

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog import ports
from tests.catalog.test_admin import tee_post
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db

NO_STOCK = (
    "“Tee” is active but has no sellable stock in any market (US, CA, EU): "
    "shoppers see it as out of stock."
)


def _messages(response):
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def _warnings(response):
    return [text for level, text in _messages(response) if level == messages.WARNING]


def _save_as(client, product, status):
    url = reverse("admin:catalog_product_change", args=[product.pk])
    return client.post(url, tee_post(product) | {"status": status})


def test_publishing_a_product_without_stock_in_any_market_warns(merch_client, tee):
    response = _save_as(merch_client, tee, "active")

    assert response.status_code == 302
    assert _warnings(response) == [NO_STOCK]


def test_stock_in_one_market_is_enough(merch_client, tee):
    stock(tee.variants.get(sku="TEE-R"), LocationFactory(markets=["CA"]), 2)

    response = _save_as(merch_client, tee, "active")

    assert _warnings(response) == []


def test_stock_of_an_inactive_variant_is_not_sellable(merch_client, tee):
    stock(tee.variants.get(sku="TEE-R"), LocationFactory(markets=["US"]), 2)
    data = tee_post(tee, variants={0: {"status": "inactive"}}) | {"status": "active"}

    response = merch_client.post(reverse("admin:catalog_product_change", args=[tee.pk]), data)

    assert _warnings(response) == [NO_STOCK]


def test_a_draft_without_stock_is_not_warned_about(merch_client, tee):
    response = _save_as(merch_client, tee, "draft")

    assert response.status_code == 302
    assert _warnings(response) == []


def test_without_a_stock_backend_the_admin_makes_no_stock_claim(merch_client, tee):
    with ports.override(availability=None):
        response = _save_as(merch_client, tee, "active")

    assert _warnings(response) == []


def test_the_publish_action_warns_about_each_product_without_stock(merch_client, tee):
    stocked = ProductFactory(title="Stocked cap", status="draft")
    stock(VariantFactory(product=stocked, sku="CAP-1"), LocationFactory(markets=["US"]), 1)
    data = {"action": "publish_selected", "_selected_action": [str(tee.pk), str(stocked.pk)]}

    response = merch_client.post(reverse("admin:catalog_product_changelist"), data)

    assert response.status_code == 302
    assert _messages(response) == [
        (messages.SUCCESS, "Published 2 products."),
        (messages.WARNING, NO_STOCK),
    ]
