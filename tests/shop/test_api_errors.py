"""Every API failure is `{"code", "detail", "fields"?}` with the right status, never a 500."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from catalog.api import views as catalog_views
from catalog.models import Product
from shop.exceptions import Conflict, DomainError, ValidationFailed
from shop.models import ApiToken
from tests.factories.catalog import VariantFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def _post_raw(client, url, body: bytes | str, content_type="application/json"):
    return client.generic("POST", url, body, content_type=content_type)


def _raising(exc):
    """Run a throwaway API view that raises `exc`; return the response the handler built."""

    class RaisingApi(APIView):
        def get(self, request):
            raise exc

    return RaisingApi.as_view()(APIRequestFactory().get("/api/v1/raise"))


# --- bodies ---------------------------------------------------------------------------------


def test_malformed_json_is_400_malformed_request(api_client):
    response = _post_raw(api_client, TOKEN_URL, '{"username": ')

    assert response.status_code == 400
    assert response.json() == {
        "code": "malformed_request",
        "detail": (
            "The request body is not valid JSON (Expecting value: line 1 column 14 (char 13))."
        ),
    }


def test_malformed_json_to_a_catalog_write_is_400_and_writes_nothing(merchandiser_api):
    response = _post_raw(merchandiser_api, "/api/v1/products", '{"title": "A",}')

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert Product.objects.count() == 0


def test_hundred_thousand_nested_brackets_are_400_not_a_recursion_error(api_client):
    response = _post_raw(api_client, TOKEN_URL, "[" * 100_000)

    assert response.status_code == 400
    assert response.json() == {
        "code": "malformed_request",
        "detail": "The JSON is nested deeper than 32 levels.",
    }


def test_nesting_just_past_the_limit_is_400_but_brackets_in_strings_do_not_count(api_client):
    too_deep = _post_raw(api_client, TOKEN_URL, "[" * 33 + "]" * 33)
    in_string = api_client.post(
        TOKEN_URL, {"username": "[" * 1000, "password": "{" * 1000}, format="json"
    )

    assert too_deep.status_code == 400
    assert too_deep.json()["code"] == "malformed_request"
    assert in_string.status_code == 400
    assert in_string.json()["code"] == "validation_error"


@pytest.mark.parametrize("body", ['{"a": NaN}', '{"a": -Infinity}', '{"a": ' + "1" * 5000 + "}"])
def test_json_constants_and_huge_numbers_are_400(api_client, body):
    response = _post_raw(api_client, TOKEN_URL, body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert response.json()["detail"].startswith("The request body is not valid JSON (")


def test_body_over_the_upload_limit_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = api_client.post(
        TOKEN_URL, {"username": "x" * 2_000, "password": "y"}, format="json"
    )

    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "detail": "The request body is too large.",
    }


def test_body_over_the_default_limit_is_413(merchandiser_api, settings):
    body = '{"title": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'

    response = _post_raw(merchandiser_api, "/api/v1/products", body)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert Product.objects.count() == 0


def test_non_utf8_body_is_400(api_client):
    response = _post_raw(api_client, TOKEN_URL, b'{"username": "\xff\xfe", "password": "x"}')

    assert response.status_code == 400
    assert response.json() == {
        "code": "malformed_request",
        "detail": "The request body is not UTF-8 encoded JSON.",
    }


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(api_client, content_type):
    response = _post_raw(api_client, TOKEN_URL, "username=a&password=b", content_type=content_type)

    assert response.status_code == 415
    assert response.json() == {
        "code": "unsupported_media_type",
        "detail": f'Unsupported media type "{content_type}" in request.',
    }


def test_empty_body_is_a_validation_error_naming_the_fields(api_client):
    response = _post_raw(api_client, TOKEN_URL, "")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "username: This field is required.",
        "fields": {
            "username": ["This field is required."],
            "password": ["This field is required."],
        },
    }


# --- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/nope"),
        ("post", "/api/v1/nope"),
        ("get", "/api/v2/products"),
        ("get", "/api/"),
        ("get", "/api/v1/products/some-handle/extra/deep"),
    ],
)
def test_unknown_api_url_is_a_json_404(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_to_an_unknown_api_url_is_a_json_404_not_a_csrf_page(db, method):
    # As an integrator's client sends it: no CSRF cookie, and the test client told to check
    # CSRF as the real middleware does (APIClient skips the check by default).
    client = APIClient(enforce_csrf_checks=True)

    response = getattr(client, method)("/api/v1/orders/ord_x/payments", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


@pytest.mark.parametrize(("method", "path"), [("delete", "/api/v1/products"), ("get", TOKEN_URL)])
def test_unsupported_method_is_405(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "detail": f'Method "{method.upper()}" not allowed.',
    }


def test_too_many_requests_is_429_with_retry_after(api_client, monkeypatch):
    VariantFactory()
    monkeypatch.setattr(catalog_views.ProductCollectionApi, "throttle_classes", [AnonRateThrottle])
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})

    statuses = [api_client.get("/api/v1/products").status_code for _ in range(3)]
    response = api_client.get("/api/v1/products")

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == {"code", "detail"}
    assert response.json()["detail"].startswith("Request was throttled.")
    assert 0 < int(response["Retry-After"]) <= 60


def test_token_endpoint_is_throttled_at_the_auth_rate(api_client, customer, password, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/minute"})
    wrong = {"username": customer.email, "password": "guess"}

    statuses = [api_client.post(TOKEN_URL, wrong, format="json").status_code for _ in range(2)]
    response = api_client.post(
        TOKEN_URL, {"username": customer.email, "password": password}, format="json"
    )

    assert statuses == [400, 400]
    assert response.status_code == 429
    assert set(response.json()) == {"code", "detail"}
    assert response.json()["code"] == "throttled"
    assert response.json()["detail"].startswith("Request was throttled.")
    assert 0 < int(response["Retry-After"]) <= 60
    assert not ApiToken.objects.exists()


# --- exceptions raised by services and models -----------------------------------------------


def test_domain_error_uses_its_status_and_code():
    response = _raising(DomainError("That is not allowed now.", code="rule_refused"))

    assert response.status_code == 422
    assert response.data == {"code": "rule_refused", "detail": "That is not allowed now."}


def test_domain_error_extras_join_the_body():
    response = _raising(Conflict("Only 3 left.", code="insufficient_stock", available=3))

    assert response.status_code == 409
    assert response.data == {
        "code": "insufficient_stock",
        "detail": "Only 3 left.",
        "available": 3,
    }


def test_validation_failed_carries_its_fields():
    response = _raising(ValidationFailed("Bad SKU.", fields={"sku": ["Bad SKU."]}))

    assert response.status_code == 400
    assert response.data == {
        "code": "validation_error",
        "detail": "Bad SKU.",
        "fields": {"sku": ["Bad SKU."]},
    }


def test_django_validation_error_is_400_with_fields():
    response = _raising(ValidationError({"email": ["Enter a valid e-mail address."]}))

    assert response.status_code == 400
    assert response.data == {
        "code": "validation_error",
        "detail": "email: Enter a valid e-mail address.",
        "fields": {"email": ["Enter a valid e-mail address."]},
    }


def test_django_validation_error_without_field_is_400_non_field_errors():
    response = _raising(ValidationError("The cart is empty."))

    assert response.status_code == 400
    assert response.data == {
        "code": "validation_error",
        "detail": "The cart is empty.",
        "fields": {"non_field_errors": ["The cart is empty."]},
    }


def test_http404_keeps_its_message():
    response = _raising(Http404("No such order"))

    assert response.status_code == 404
    assert response.data == {"code": "not_found", "detail": "No such order."}
