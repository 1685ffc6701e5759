import pytest
from rest_framework.test import APIClient

from catalog import ports
from catalog.models import (
    Option,
    OptionValue,
    Product,
    ProductStatus,
    Variant,
    VariantIdentifier,
    VariantPrice,
    VariantStatus,
)
from tests.factories.catalog import (
    BrandFactory,
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
    VariantIdentifierFactory,
)

pytestmark = pytest.mark.django_db

EAN = "4006381333931"
STOCK: dict[str, int] = {}


def fake_availability(*, variant_ids, market):
    """A stand-in for inventory's ATP reader: units by SKU from STOCK (negative on purpose)."""
    skus = dict(Variant.objects.filter(pk__in=variant_ids).values_list("pk", "sku"))
    return {vid: STOCK[skus[vid]] for vid in variant_ids if skus[vid] in STOCK}


@pytest.fixture(autouse=True)
def no_stock_backend():
    """Without a backend the API makes no availability claim (null); `stock` plugs one in."""
    with ports.override(availability=None):
        yield


@pytest.fixture
def stock(no_stock_backend):
    STOCK.clear()
    with ports.override(availability=fake_availability):
        yield STOCK
    STOCK.clear()


@pytest.fixture
def hoodie():
    """Active, two sizes priced in USD and CAD (EUR only for M), one category, one EAN."""
    apparel = CategoryFactory(slug="apparel", name="Apparel")
    hoodies = CategoryFactory(slug="hoodies", name="Hoodies", parent=apparel)
    product = ProductFactory(
        handle="cosy-hoodie",
        title="Cosy hoodie",
        description="Warm.",
        brand=BrandFactory(name="Northwind", slug="northwind"),
        categories=[hoodies],
    )
    size = OptionFactory(product=product, name="Size")
    m = OptionValueFactory(option=size, value="M", position=0)
    large = OptionValueFactory(option=size, value="L", position=1)
    medium = VariantFactory(
        product=product,
        sku="HOOD-M",
        title="M",
        position=0,
        option_values=[m],
        prices={"USD": 4500, "CAD": 5900, "EUR": 4200},
    )
    VariantIdentifierFactory(variant=medium, kind="ean", value=EAN)
    VariantFactory(
        product=product,
        sku="HOOD-L",
        title="L",
        position=1,
        option_values=[large],
        prices={"USD": 4900, "CAD": 6300},
    )
    VariantPrice.objects.filter(variant__sku="HOOD-M", currency="USD").update(
        compare_at_cents=6000
    )
    return product


def _counts():
    models = (Product, Variant, VariantPrice, VariantIdentifier, Option, OptionValue)
    return {m.__name__: m.objects.count() for m in models}


def _write_body(**overrides):
    body = {
        "handle": "rain-jacket",
        "title": "Rain jacket",
        "brand": "Northwind",
        "status": "active",
        "options": [{"name": "Color", "values": ["Red", "Blue"]}],
        "variants": [
            {
                "sku": "RAIN-RED",
                "option_values": {"Color": "Red"},
                "prices": [{"amount": 9900, "currency": "USD"}],
                "identifiers": [{"kind": "ean", "value": "5901234123457"}],
            },
            {
                "sku": "RAIN-BLUE",
                "option_values": {"Color": "Blue"},
                "prices": [{"amount": 9900, "currency": "USD"}],
                "identifiers": [],
            },
        ],
    }
    body.update(overrides)
    return body


# --- reads ----------------------------------------------------------------------------------


def test_product_list_shows_active_products_with_market_price_range(api_client, hoodie):
    ProductFactory(status=ProductStatus.DRAFT, handle="secret")

    response = api_client.get("/api/v1/products")

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": hoodie.public_id,
                "handle": "cosy-hoodie",
                "title": "Cosy hoodie",
                "brand": "Northwind",
                "price_range": {
                    "min": {"amount": 4500, "currency": "USD"},
                    "max": {"amount": 4900, "currency": "USD"},
                },
                "in_stock": None,
            }
        ],
    }
    assert hoodie.public_id.startswith("prod_")


def test_product_list_query_count_does_not_grow_with_products(
    api_client, django_assert_max_num_queries, stock
):
    for n in range(6):
        VariantFactory(product=ProductFactory(handle=f"p-{n}"), sku=f"P-{n}")

    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/products")

    assert response.json()["count"] == 6


def test_product_detail_query_count_is_fixed(
    api_client, hoodie, operations_user, django_assert_max_num_queries, stock
):
    api_client.force_authenticate(operations_user)

    with django_assert_max_num_queries(15):
        response = api_client.get("/api/v1/products/cosy-hoodie")

    assert len(response.json()["variants"]) == 2


def test_product_list_uses_the_market_currency(api_client, hoodie):
    ca = api_client.get("/api/v1/products?market=ca").json()["results"][0]
    eu = api_client.get("/api/v1/products?market=EU").json()["results"][0]

    assert ca["price_range"] == {
        "min": {"amount": 5900, "currency": "CAD"},
        "max": {"amount": 6300, "currency": "CAD"},
    }
    assert eu["price_range"]["max"] == {"amount": 4200, "currency": "EUR"}


def test_product_list_refuses_an_unknown_market(api_client, hoodie):
    response = api_client.get("/api/v1/products?market=MARS")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "There is no market 'MARS'; use one of US, CA, EU.",
        "fields": {"market": ["Unknown market 'MARS'."]},
    }


def test_product_list_paginates(api_client):
    for n in range(3):
        VariantFactory(product=ProductFactory(handle=f"p-{n}", title=f"P {n}"))

    first = api_client.get("/api/v1/products?page_size=2").json()
    second = api_client.get("/api/v1/products?page_size=2&page=2").json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"] == "http://testserver/api/v1/products?page=2&page_size=2"
    assert first["previous"] is None
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert {r["handle"] for r in first["results"] + second["results"]} == {"p-0", "p-1", "p-2"}


def test_product_list_filters_by_category_including_descendants(api_client, hoodie):
    VariantFactory(product=ProductFactory(handle="mug"))

    by_parent = api_client.get("/api/v1/products?category=apparel").json()
    by_path = api_client.get("/api/v1/products?category=apparel/hoodies").json()

    assert [r["handle"] for r in by_parent["results"]] == ["cosy-hoodie"]
    assert [r["handle"] for r in by_path["results"]] == ["cosy-hoodie"]


def test_product_list_refuses_an_unknown_category(api_client):
    response = api_client.get("/api/v1/products?category=nowhere")

    assert response.status_code == 400
    assert response.json()["fields"] == {"category": ["Unknown category 'nowhere'."]}


def test_product_list_searches_titles_and_skus(api_client, hoodie):
    VariantFactory(product=ProductFactory(handle="mug", title="Coffee mug"))

    by_word = api_client.get("/api/v1/products?q=hood").json()
    by_sku = api_client.get("/api/v1/products?q=HOOD-L").json()

    assert [r["handle"] for r in by_word["results"]] == ["cosy-hoodie"]
    assert [r["handle"] for r in by_sku["results"]] == ["cosy-hoodie"]


def test_product_list_in_stock_comes_from_the_availability_backend(api_client, hoodie, stock):
    VariantFactory(product=ProductFactory(handle="mug"), sku="MUG-1")
    stock.update({"HOOD-L": 2, "MUG-1": -4})

    results = api_client.get("/api/v1/products").json()["results"]

    assert {r["handle"]: r["in_stock"] for r in results} == {"cosy-hoodie": True, "mug": False}


def test_product_detail_has_the_contract_shape(api_client, hoodie):
    response = api_client.get("/api/v1/products/cosy-hoodie")

    assert response.status_code == 200
    assert response.json() == {
        "id": hoodie.public_id,
        "handle": "cosy-hoodie",
        "title": "Cosy hoodie",
        "description": "Warm.",
        "brand": "Northwind",
        "status": "active",
        "categories": [{"slug": "hoodies", "path": "apparel/hoodies", "name": "Hoodies"}],
        "options": [{"name": "Size", "values": ["M", "L"]}],
        "variants": [
            {
                "sku": "HOOD-M",
                "title": "M",
                "status": "active",
                "option_values": {"Size": "M"},
                "price": {"amount": 4500, "currency": "USD"},
                "compare_at_price": {"amount": 6000, "currency": "USD"},
                "available": None,
                "identifiers": [{"kind": "ean", "value": EAN}],
            },
            {
                "sku": "HOOD-L",
                "title": "L",
                "status": "active",
                "option_values": {"Size": "L"},
                "price": {"amount": 4900, "currency": "USD"},
                "compare_at_price": None,
                "available": None,
                "identifiers": [],
            },
        ],
    }


def test_product_detail_prices_in_the_market_currency(api_client, hoodie):
    variants = api_client.get("/api/v1/products/cosy-hoodie?market=EU").json()["variants"]

    assert [v["price"] for v in variants] == [{"amount": 4200, "currency": "EUR"}, None]


def test_product_detail_available_comes_from_the_backend_never_negative(api_client, hoodie, stock):
    stock.update({"HOOD-M": 7, "HOOD-L": -2})

    variants = api_client.get("/api/v1/products/cosy-hoodie").json()["variants"]

    assert [(v["sku"], v["available"]) for v in variants] == [("HOOD-M", 7), ("HOOD-L", 0)]


def test_product_detail_hides_inactive_variants_from_the_public(api_client, hoodie):
    Variant.objects.filter(sku="HOOD-L").update(status=VariantStatus.INACTIVE)

    variants = api_client.get("/api/v1/products/cosy-hoodie").json()["variants"]

    assert [v["sku"] for v in variants] == ["HOOD-M"]


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
def test_product_detail_of_unpublished_product_is_404_for_the_public(
    api_client, customer, hoodie, status
):
    Product.objects.filter(pk=hoodie.pk).update(status=status)

    anonymous = api_client.get("/api/v1/products/cosy-hoodie")
    api_client.force_authenticate(customer)
    as_customer = api_client.get("/api/v1/products/cosy-hoodie")

    for response in (anonymous, as_customer):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No such product."}


def test_product_detail_of_draft_is_visible_to_catalog_staff(api_client, operations_user, hoodie):
    Product.objects.filter(pk=hoodie.pk).update(status=ProductStatus.DRAFT)
    Variant.objects.filter(sku="HOOD-L").update(status=VariantStatus.INACTIVE)
    api_client.force_authenticate(operations_user)

    body = api_client.get("/api/v1/products/cosy-hoodie").json()

    assert body["status"] == "draft"
    assert [(v["sku"], v["status"]) for v in body["variants"]] == [
        ("HOOD-M", "active"),
        ("HOOD-L", "inactive"),
    ]


def test_product_detail_of_unknown_handle_is_404(api_client):
    response = api_client.get("/api/v1/products/nope")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_trailing_slash_is_a_json_404(api_client, hoodie):
    response = api_client.get("/api/v1/products/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


# --- writes: permissions --------------------------------------------------------------------


def test_product_create_needs_authentication(api_client):
    response = api_client.post("/api/v1/products", _write_body(), format="json")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert Product.objects.count() == 0


def test_product_write_is_forbidden_for_customers(api_client, customer, hoodie):
    api_client.force_authenticate(customer)

    create = api_client.post("/api/v1/products", _write_body(), format="json")
    patch = api_client.patch("/api/v1/products/cosy-hoodie", {"title": "X"}, format="json")

    for response in (create, patch):
        assert response.status_code == 403
        assert response.json() == {
            "code": "permission_denied",
            "detail": "Only merchandisers may change the catalog.",
        }
    assert Product.objects.get().title == "Cosy hoodie"


def test_product_write_is_forbidden_for_view_only_staff(api_client, operations_user, hoodie):
    api_client.force_authenticate(operations_user)

    response = api_client.patch("/api/v1/products/cosy-hoodie", {"title": "X"}, format="json")

    assert response.status_code == 403


def test_product_create_works_with_a_token_from_the_token_endpoint(
    api_client, merchandiser, password
):
    token = api_client.post(
        "/api/v1/auth/token",
        {"username": "MERCH@example.com", "password": password},
        format="json",
    ).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.post("/api/v1/products", _write_body(), format="json")

    assert response.status_code == 201


def test_token_endpoint_refuses_wrong_credentials_with_the_error_shape(api_client, merchandiser):
    response = api_client.post(
        "/api/v1/auth/token",
        {"username": "merch@example.com", "password": "wrong"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Unable to log in with provided credentials.",
        "fields": {"non_field_errors": ["Unable to log in with provided credentials."]},
    }


def test_bad_token_is_401(api_client, hoodie):
    api_client.credentials(HTTP_AUTHORIZATION="Token nope")

    response = api_client.get("/api/v1/products")

    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": "Invalid token."}


# --- writes ---------------------------------------------------------------------------------


def test_product_create_returns_201_with_the_product(merchandiser_api):
    response = merchandiser_api.post("/api/v1/products", _write_body(), format="json")

    assert response.status_code == 201
    assert response["Location"] == "/api/v1/products/rain-jacket"
    body = response.json()
    assert body["id"] == Product.objects.get().public_id
    assert (body["handle"], body["status"], body["brand"]) == (
        "rain-jacket",
        "active",
        "Northwind",
    )
    assert body["options"] == [{"name": "Color", "values": ["Red", "Blue"]}]
    assert body["variants"][0] == {
        "sku": "RAIN-RED",
        "title": "Red",
        "status": "active",
        "option_values": {"Color": "Red"},
        "price": {"amount": 9900, "currency": "USD"},
        "compare_at_price": None,
        "available": None,
        "identifiers": [{"kind": "ean", "value": "5901234123457"}],
    }


def test_product_create_as_draft_is_readable_by_its_author_only(merchandiser_api, api_client):
    merchandiser_api.post("/api/v1/products", _write_body(status="draft"), format="json")

    assert merchandiser_api.get("/api/v1/products/rain-jacket").status_code == 200
    assert api_client.get("/api/v1/products/rain-jacket").status_code == 404


def test_product_create_of_a_draft_answers_a_writer_without_the_view_permission(api_client):
    from django.contrib.auth.models import Permission

    from tests.factories.shop import StaffFactory

    writer = StaffFactory(email="writer@example.com")
    writer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename="add_product")
    )
    api_client.force_authenticate(writer)

    response = api_client.post("/api/v1/products", _write_body(status="draft"), format="json")

    assert response.status_code == 201
    assert (response.json()["handle"], response.json()["status"]) == ("rain-jacket", "draft")
    assert api_client.get("/api/v1/products/rain-jacket").status_code == 404


@pytest.mark.parametrize(
    ("mutate", "fields"),
    [
        (
            lambda b: b["variants"][1]["identifiers"].append(
                {"kind": "ean", "value": "5901234123458"}
            ),
            {
                "variants": {
                    "1": {
                        "identifiers": {
                            "0": {"value": ["'5901234123458' has a wrong check digit for a EAN."]}
                        }
                    }
                }
            },
        ),
        (
            lambda b: b["variants"][1].update(sku="RAIN-RED"),
            {"variants": {"1": {"sku": ["The SKU is also used by variants[0]."]}}},
        ),
        (
            lambda b: b["variants"][1].update(option_values={"Color": "Red"}),
            {"variants": {"1": {"option_values": ["variants[0] has the same option values."]}}},
        ),
        (
            lambda b: b["variants"][1]["prices"][0].update(amount=99.5),
            {
                "variants": {
                    "1": {
                        "prices": {
                            "0": {
                                "amount": [
                                    "99.5 is not a whole, non-negative number of minor units "
                                    "(send 1999 for 19.99)."
                                ]
                            }
                        }
                    }
                }
            },
        ),
        (
            lambda b: b["variants"][1]["identifiers"].append({"kind": "asin", "value": "B0"}),
            {
                "variants": {
                    "1": {
                        "identifiers": {
                            "0": {"value": ["'B0' is not an ASIN (10 letters or digits)."]}
                        }
                    }
                }
            },
        ),
    ],
)
def test_product_create_refuses_bad_input_naming_variant_and_field(
    merchandiser_api, mutate, fields
):
    body = _write_body()
    mutate(body)

    response = merchandiser_api.post("/api/v1/products", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"] == fields
    assert response.json()["detail"].startswith("Variant 'RAIN-")
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_product_create_refuses_a_json_list_body(merchandiser_api):
    response = merchandiser_api.post("/api/v1/products", [1, 2], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Expected a JSON object.",
        "fields": {"non_field_errors": ["Expected a JSON object."]},
    }


def test_product_update_changes_fields(merchandiser_api, hoodie):
    CategoryFactory(slug="sale", name="Sale")

    response = merchandiser_api.patch(
        "/api/v1/products/cosy-hoodie",
        {"title": "Very cosy hoodie", "categories": ["sale"], "status": "archived"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["status"]) == ("Very cosy hoodie", "archived")
    assert body["categories"] == [{"slug": "sale", "path": "sale", "name": "Sale"}]


def test_product_update_refuses_bad_input_and_changes_nothing(merchandiser_api, hoodie):
    response = merchandiser_api.patch(
        "/api/v1/products/cosy-hoodie", {"title": "New", "status": "gone"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "status": ["Unknown status 'gone'; use draft, active or archived."]
    }
    assert Product.objects.get().title == "Cosy hoodie"


def test_product_update_of_unknown_product_is_404(merchandiser_api):
    response = merchandiser_api.patch("/api/v1/products/nope", {"title": "X"}, format="json")

    assert response.status_code == 404


def test_variant_create_returns_201_with_every_price(merchandiser_api, hoodie):
    OptionValueFactory(option=hoodie.options.get(), value="XL", position=2)

    response = merchandiser_api.post(
        "/api/v1/products/cosy-hoodie/variants?market=CA",
        {
            "sku": "HOOD-XL",
            "option_values": {"Size": "XL"},
            "prices": [{"amount": 5100, "currency": "USD"}, {"amount": 6500, "currency": "CAD"}],
            "weight_grams": 700,
        },
        format="json",
    )

    assert response.status_code == 201
    assert response["Location"] == "/api/v1/products/cosy-hoodie/variants/HOOD-XL"
    assert response.json() == {
        "sku": "HOOD-XL",
        "title": "XL",
        "status": "active",
        "option_values": {"Size": "XL"},
        "price": {"amount": 6500, "currency": "CAD"},
        "compare_at_price": None,
        "available": None,
        "identifiers": [],
        "weight_grams": 700,
        "prices": [
            {"amount": 6500, "currency": "CAD", "compare_at_amount": None},
            {"amount": 5100, "currency": "USD", "compare_at_amount": None},
        ],
    }


def test_variant_create_refuses_a_taken_combination(merchandiser_api, hoodie):
    before = _counts()

    response = merchandiser_api.post(
        "/api/v1/products/cosy-hoodie/variants",
        {
            "sku": "HOOD-M2",
            "option_values": {"Size": "M"},
            "prices": [{"amount": 1, "currency": "USD"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": (
            "Variant 'HOOD-M2' option_values: Variant 'HOOD-M' already has these option values."
        ),
        "fields": {"option_values": ["Variant 'HOOD-M' already has these option values."]},
    }
    assert _counts() == before


def test_variant_update_changes_prices(merchandiser_api, hoodie):
    response = merchandiser_api.patch(
        "/api/v1/products/cosy-hoodie/variants/HOOD-L",
        {
            "sku": "HOOD-L",
            "prices": [{"amount": 3900, "currency": "USD", "compare_at_amount": 4900}],
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["price"] == {"amount": 3900, "currency": "USD"}
    assert response.json()["compare_at_price"] == {"amount": 4900, "currency": "USD"}
    assert list(
        VariantPrice.objects.filter(variant__sku="HOOD-L").values_list("currency", flat=True)
    ) == ["USD"]


def test_variant_update_refuses_a_sku_change(merchandiser_api, hoodie):
    response = merchandiser_api.patch(
        "/api/v1/products/cosy-hoodie/variants/HOOD-L",
        {"sku": "HOOD-LARGE", "weight_grams": 1},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "sku": ["The SKU cannot change once saved (it is 'HOOD-L')."]
    }
    variant = Variant.objects.get(sku="HOOD-L")
    assert variant.weight_grams == 250


def test_variant_update_of_another_products_sku_is_404(merchandiser_api, hoodie):
    VariantFactory(sku="OTHER-1")

    response = merchandiser_api.patch(
        "/api/v1/products/cosy-hoodie/variants/OTHER-1", {"title": "x"}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such variant."}
