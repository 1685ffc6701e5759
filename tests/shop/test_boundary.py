"""Text at the boundary: a NUL or a lone surrogate anywhere in a request is a 400, never a 500.

The address (path, query string) is refused by shop.middleware.TextBoundaryMiddleware, API
bodies by shop.api.parsers.SafeJSONParser, form input by shop.forms.StorableTextMixin, and
the catalog's own checks (imports, admin saves through the services) by catalog validation.
"""

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse

from catalog import services
from catalog.models import Category, Product, Variant
from shop.exceptions import ValidationFailed
from shop.forms import StorableTextMixin
from shop.text import find_text_problems, text_problem
from tests.catalog.test_admin import product_post
from tests.factories.catalog import CategoryFactory, VariantFactory

pytestmark = pytest.mark.django_db

NUL = "The text contains a NUL character."
SURROGATE = "The text contains a lone surrogate, which is not a Unicode character."
NOT_UTF8 = "The text is not valid UTF-8 (a lone surrogate or a broken byte sequence)."


# --- the address: path and query string ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (
            "/api/v1/products?q=%00",
            {
                "code": "invalid_text",
                "detail": "The query parameter 'q' is refused: the text contains a NUL character.",
                "fields": {"q": [NUL]},
            },
        ),
        (
            "/api/v1/products?category=%00",
            {
                "code": "invalid_text",
                "detail": "The query parameter 'category' is refused: "
                "the text contains a NUL character.",
                "fields": {"category": [NUL]},
            },
        ),
        (
            "/api/v1/products?q=%ED%A0%80",
            {
                "code": "invalid_text",
                "detail": "The query parameter 'q' is refused: the text is not valid UTF-8 "
                "(a lone surrogate or a broken byte sequence).",
                "fields": {"q": [NOT_UTF8]},
            },
        ),
        (
            "/api/v1/products/%00",
            {
                "code": "invalid_text",
                "detail": "The address is refused: the text contains a NUL character.",
            },
        ),
        (
            "/api/v1/products?%00=1",
            {
                "code": "invalid_text",
                "detail": "A query parameter's name is refused: the text contains a NUL "
                "character.",
            },
        ),
    ],
)
def test_api_address_with_nul_or_surrogate_is_400_invalid_text(api_client, url, body):
    response = api_client.get(url)

    assert response.status_code == 400
    assert response.json() == body


# The 400 page is a Jinja2 template: its escaping (markupsafe) writes ' as &#39; where Django's
# wrote &#x27;.
@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/search?q=%00", "The query parameter &#39;q&#39; is refused: the text contains a NUL"),
        ("/c/%00/", "The address is refused: the text contains a NUL character."),
        ("/search?q=a%ED%A0%80b", "The query parameter &#39;q&#39; is refused"),
        ("/admin/catalog/product/?q=%00", "The query parameter &#39;q&#39; is refused"),
    ],
)
def test_storefront_and_admin_address_with_nul_is_the_400_page(client, url, detail):
    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert detail in response.content.decode()
    assert "We could not read that request" in response.content.decode()


def test_a_path_that_is_not_utf8_reaches_the_view_percent_encoded_again(client, api_client):
    # Django re-encodes bytes that are not UTF-8 (repercent_broken_unicode): the view sees the
    # ASCII text "%ED%A0%80", never a surrogate, and answers its ordinary 404.
    response = api_client.get("/api/v1/products/%ED%A0%80")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such product."}
    assert client.get("/c/%ED%A0%80/").status_code == 404


def test_plain_text_and_encoded_unicode_pass_the_guard(client, api_client):
    VariantFactory(product__title="Crème brûlée torch", product__handle="torch")

    assert client.get("/search?q=cr%C3%A8me+br%C3%BBl%C3%A9e").status_code == 200
    assert api_client.get("/api/v1/products?q=%F0%9F%94%A5").status_code == 200
    assert api_client.get("/api/v1/products/torch").status_code == 200
    assert client.get("/c/caf%C3%A9/").status_code == 404  # non-ASCII path: no such category


# --- API bodies ----------------------------------------------------------------------------


def _send(client, method: str, url: str, body_text: str):
    return client.generic(method, url, body_text, content_type="application/json")


@pytest.fixture
def product():
    category = CategoryFactory(slug="hoodies")
    variant = VariantFactory(
        sku="HOOD-1", product__handle="hoodie", product__title="Hoodie", title="Hoodie S"
    )
    variant.product.categories.set([category])
    variant.product.tags = ["warm"]
    variant.product.save(update_fields=["tags"])
    return variant.product


def _snapshot(product):
    product.refresh_from_db()
    variant = Variant.objects.get(sku="HOOD-1")
    return (
        product.title,
        product.description,
        product.brand_id,
        product.tags,
        [c.slug for c in product.categories.all()],
        variant.title,
        Product.objects.count(),
        Variant.objects.count(),
        Category.objects.count(),
    )


# Raw JSON text: \\u0000 and \\ud800 are escapes that json.loads turns into a NUL and a lone
# surrogate (neither can be typed into a Python str literal that a JSON encoder would send).
PRODUCT_PATCHES = [
    ('{"tags": ["a\\u0000"]}', {"tags": {"0": [NUL]}}),
    ('{"categories": ["hood\\u0000ies"]}', {"categories": {"0": [NUL]}}),
    ('{"title": "x\\ud800"}', {"title": [SURROGATE]}),
    ('{"description": "\\ud800"}', {"description": [SURROGATE]}),
    ('{"brand": "Acme\\udfff"}', {"brand": [SURROGATE]}),
    ('{"tags": ["\\ud800"]}', {"tags": {"0": [SURROGATE]}}),
    ('{"seo_title": "a\\u0000b"}', {"seo_title": [NUL]}),
    (
        '{"\\ud800": 1}',
        {"non_field_errors": [f"A key is not storable text. {SURROGATE}"]},
    ),
]


@pytest.mark.parametrize(("body", "fields"), PRODUCT_PATCHES)
def test_staff_product_patch_with_bad_text_is_400_and_changes_nothing(
    merchandiser_api, product, body, fields
):
    before = _snapshot(product)

    response = _send(merchandiser_api, "PATCH", "/api/v1/products/hoodie", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_text"
    assert response.json()["fields"] == fields
    assert _snapshot(product) == before


def test_bad_text_detail_names_the_first_place(merchandiser_api, product):
    body = '{"title": "ok", "options": [{"name": "Size", "values": ["S", "M\\u0000"]}]}'

    response = _send(merchandiser_api, "POST", "/api/v1/products", body)

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_text",
        "detail": f"options[0].values[1]: {NUL}",
        "fields": {"options": {"0": {"values": {"1": [NUL]}}}},
    }
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ('{"title": "Hoodie \\ud800"}', {"title": [SURROGATE]}),
        (
            '{"identifiers": [{"kind": "gtin", "value": "\\ud800"}]}',
            {"identifiers": {"0": {"value": [SURROGATE]}}},
        ),
        (
            '{"option_values": {"Size\\u0000": "S"}}',
            {"option_values": {"non_field_errors": [f"A key is not storable text. {NUL}"]}},
        ),
    ],
)
def test_staff_variant_patch_with_bad_text_is_400_and_changes_nothing(
    merchandiser_api, product, body, fields
):
    before = _snapshot(product)

    response = _send(merchandiser_api, "PATCH", "/api/v1/products/hoodie/variants/HOOD-1", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_text"
    assert response.json()["fields"] == fields
    assert _snapshot(product) == before


def test_a_sku_with_nul_in_the_url_is_400(merchandiser_api, product):
    before = _snapshot(product)

    response = _send(
        merchandiser_api, "PATCH", "/api/v1/products/hoodie/variants/HOOD%00-1", '{"title": "x"}'
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_text"
    assert _snapshot(product) == before


def test_anonymous_body_with_bad_text_is_refused_before_authentication_matters(api_client):
    response = _send(api_client, "POST", "/api/v1/auth/token", '{"username": "\\u0000"}')

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_text",
        "detail": f"username: {NUL}",
        "fields": {"username": [NUL]},
    }


def test_a_body_with_many_bad_strings_names_at_most_fifty(merchandiser_api, product):
    body = '{"tags": [' + ", ".join(['"\\u0000"'] * 500) + "]}"

    response = _send(merchandiser_api, "PATCH", "/api/v1/products/hoodie", body)

    assert response.status_code == 400
    assert len(response.json()["fields"]["tags"]) == 50


# --- the catalog's own text checks (admin saves, imports: no JSON parser in front) -------------


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"tags": ["ok", "b\x00d"]}, {"tags": {"1": [NUL]}}),
        ({"categories": ["hood\x00ies"]}, {"categories": {"0": [NUL]}}),
        ({"title": "x\ud800"}, {"title": [SURROGATE]}),
        ({"brand": "\udc00"}, {"brand": [SURROGATE]}),
    ],
)
def test_catalog_services_refuse_unstorable_text_in_every_text_field(product, data, fields):
    before = _snapshot(product)

    with pytest.raises(ValidationFailed) as refused:
        services.update_product(product=product, data=data, actor=None)

    assert refused.value.fields == fields
    assert _snapshot(product) == before


def test_admin_product_add_with_nul_in_tags_is_a_form_error(client, merchandiser):
    client.force_login(merchandiser)

    response = client.post(
        reverse("admin:catalog_product_add"), product_post(tags="warm, sno\x00w")
    )

    assert response.status_code == 200
    assert NUL in response.content.decode()
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "data", "field", "message", "model"),
    [
        (
            "/admin/catalog/attribute/add/",
            {"code": "a", "name": "A", "name_translations": '{"fr": "\\u0000"}', "kind": "text"},
            "name_translations",
            NUL,
            "catalog.Attribute",
        ),
        (
            "/admin/shop/market/add/",
            {
                "code": "XX",
                "name": "X",
                "currency": "USD",
                "countries": '["\\ud800"]',
                "timezone": "UTC",
                "default_locale": "en",
            },
            "countries",
            SURROGATE,
            "shop.Market",
        ),
        (
            "/admin/inventory/location/add/",
            {
                "code": "l1",
                "name": "L",
                "kind": "warehouse",
                "country": "US",
                "shipping_costs": '{"x\\ud800": 1}',
            },
            "shipping_costs",
            f"A key is not storable text. {SURROGATE}",
            "inventory.Location",
        ),
    ],
)
def test_admin_json_fields_with_escaped_nul_or_surrogate_are_form_errors(
    client, url, data, field, message, model
):
    from django.apps import apps

    admin = get_user_model().objects.create_superuser(email="root@example.com", password="x")
    client.force_login(admin)
    before = apps.get_model(model).objects.count()

    response = client.post(url, {"priority": "1", "position": "0", **data})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert apps.get_model(model).objects.count() == before


# --- forms: the shared hook ------------------------------------------------------------------


class _TranslationsForm(StorableTextMixin, forms.Form):
    name = forms.CharField()
    translations = forms.JSONField()


@pytest.mark.parametrize(
    ("translations", "message"),
    [
        ('{"fr": "\\u0000"}', NUL),
        ('{"fr": "\\ud800"}', SURROGATE),
        ('["ok", "\\udfff"]', SURROGATE),
    ],
)
def test_form_hook_refuses_bad_text_a_field_builds_from_escapes(translations, message):
    form = _TranslationsForm(data={"name": "Colour", "translations": translations})

    assert not form.is_valid()
    assert form.errors == {"translations": [message]}


def test_form_hook_accepts_storable_text():
    form = _TranslationsForm(data={"name": "Colour", "translations": '{"fr": "Couleur"}'})

    assert form.is_valid()
    assert form.cleaned_data == {"name": "Colour", "translations": {"fr": "Couleur"}}


def test_signup_form_refuses_nul_as_a_form_error(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "a@example.com", "password": "pass\x00word-long", "password_confirm": "x"},
    )

    assert response.status_code == 200
    assert get_user_model().objects.filter(email="a@example.com").count() == 0
    assert response.context["form"].errors["password"] == ["Null characters are not allowed."]


# --- the helpers -----------------------------------------------------------------------------


def test_text_problem_names_nul_and_lone_surrogates_only():
    assert text_problem("Crème 🔥 ok") is None
    assert text_problem("a\x00") == NUL
    assert text_problem("\ud83d") == SURROGATE  # half of a pair, alone
    assert text_problem("\udc00x") == SURROGATE


def test_find_text_problems_walks_keys_and_values_without_recursion():
    deep = "\x00"
    for _ in range(5000):
        deep = [deep]
    assert list(find_text_problems(deep)) == [(("0",) * 5000, NUL)]
    assert list(find_text_problems({"a": {"b\ud800": 1, "c": ["ok", "\x00"]}})) == [
        (("a", "non_field_errors"), f"A key is not storable text. {SURROGATE}"),
        (("a", "c", "1"), NUL),
    ]
