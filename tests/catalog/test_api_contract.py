"""The API's input serializers describe exactly what the catalog services accept.

Issue 6: the serializers (and so the OpenAPI schema integrators read) accepted upper-case
handles that the service refuses. The services validate every body; where a serializer field
has a shape rule it now applies the service's own rule and message, so schema and service agree.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from catalog import services
from catalog.api import serializers as s
from catalog.models import Product
from catalog.services import validation
from shop.exceptions import ValidationFailed
from tests.factories.catalog import ProductFactory

pytestmark = pytest.mark.django_db

HANDLES = ["Upper-Handle", "with space", "ünïcode", "a/b", "", "x" * 201, "ok-handle_2", "  pad  "]
SKUS = ["A/B", "TAB\tX", "", "X" * 65, "OK-1", " PAD-1 "]
VARIANT_STATUSES = ["active", "inactive", "archived", "gone"]


def _service_handle_errors(handle) -> list[str]:
    errors = validation.Errors()
    validation.clean_handle(errors, handle, product=None)
    return errors.tree.get("handle", [])


def _service_sku_errors(sku) -> list[str]:
    errors = validation.Errors()
    validation.clean_sku(errors, ("sku",), sku)
    return errors.tree.get("sku", [])


def _serializer_errors(serializer_class, field, value) -> list[str]:
    serializer = serializer_class(data={field: value}, partial=True)
    serializer.is_valid()
    return [str(e) for e in serializer.errors.get(field, [])]


def test_api_create_with_an_upper_case_handle_is_the_services_400(merchandiser_api):
    response = merchandiser_api.post(
        "/api/v1/products", {"title": "Cap", "handle": "Upper-Handle"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": f"handle: {validation.HANDLE_MESSAGE}",
        "fields": {"handle": [validation.HANDLE_MESSAGE]},
    }
    assert Product.objects.count() == 0


def test_api_patch_with_an_upper_case_handle_is_the_services_400(merchandiser_api):
    ProductFactory(handle="cap")

    response = merchandiser_api.patch(
        "/api/v1/products/cap", {"handle": "Upper-Handle"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"handle": [validation.HANDLE_MESSAGE]}
    assert list(Product.objects.values_list("handle", flat=True)) == ["cap"]


@pytest.mark.parametrize("serializer_class", [s.ProductCreateSerializer, s.ProductPatchSerializer])
@pytest.mark.parametrize("handle", HANDLES)
def test_handle_serializers_refuse_what_the_service_refuses_in_its_words(serializer_class, handle):
    assert _serializer_errors(serializer_class, "handle", handle) == _service_handle_errors(handle)


@pytest.mark.parametrize("serializer_class", [s.VariantWriteSerializer, s.VariantPatchSerializer])
@pytest.mark.parametrize("sku", SKUS)
def test_sku_serializers_refuse_what_the_service_refuses_in_its_words(serializer_class, sku):
    assert _serializer_errors(serializer_class, "sku", sku) == _service_sku_errors(sku)


@pytest.mark.parametrize("status", VARIANT_STATUSES)
def test_variant_status_serializer_accepts_what_the_service_accepts(status, hoodie_variant):
    try:
        services.update_variant(variant=hoodie_variant, data={"status": status})
        service_errors = []
    except ValidationFailed as exc:
        service_errors = exc.fields["status"]

    assert _serializer_errors(s.VariantPatchSerializer, "status", status) == service_errors


@pytest.fixture
def hoodie_variant():
    product = services.create_product(
        data={
            "title": "Hoodie",
            "variants": [{"sku": "HOOD-1", "prices": [{"amount": 100, "currency": "USD"}]}],
        }
    )
    return product.variants.get()


def test_the_schema_publishes_the_handle_and_sku_rules():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    handle = {"type": "string", "pattern": "^[a-z0-9_-]+$", "maxLength": 200, "minLength": 1}
    assert components["ProductCreateRequest"]["properties"]["handle"] == handle | {
        "description": "Derived from the title when left out."
    }
    assert components["PatchedProductPatchRequest"]["properties"]["handle"] == handle
    sku = components["VariantWriteRequest"]["properties"]["sku"]
    assert (sku["pattern"], sku["maxLength"]) == ("^[^/\\x00-\\x1f]+$", 64)
    assert components["VariantStatusEnum"]["enum"] == ["active", "inactive"]  # what a write sets
    assert components["VariantRecordStatusEnum"]["enum"] == ["active", "inactive", "archived"]
