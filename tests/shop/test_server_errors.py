"""An unhandled exception answers 500: the API's JSON error shape under /api/, HTML elsewhere."""

import pytest

from catalog import selectors as catalog_selectors
from catalog.api.views import ProductListApi

pytestmark = pytest.mark.django_db


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def test_unhandled_api_exception_is_json_server_error(client, monkeypatch):
    monkeypatch.setattr(ProductListApi, "get", _boom)
    client.raise_request_exception = False

    response = client.get("/api/v1/products")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "server_error",
        "detail": "Something went wrong on our side.",
    }


def test_unhandled_storefront_exception_renders_the_500_page(client, monkeypatch):
    monkeypatch.setattr(catalog_selectors, "list_storefront_products", _boom)
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 500
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"Something went wrong on our side" in response.content
