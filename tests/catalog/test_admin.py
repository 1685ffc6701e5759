import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import (
    Option,
    Product,
    ProductStatus,
    Variant,
    VariantIdentifier,
    VariantPrice,
)
from tests.factories.catalog import (
    AttributeFactory,
    MediaFactory,
    OptionFactory,
    OptionValueFactory,
    ProductAttributeValueFactory,
    ProductFactory,
    VariantFactory,
    VariantIdentifierFactory,
)
from tests.factories.shop import StaffFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_product_changelist")
ADD = reverse("admin:catalog_product_add")
INLINES = ("options", "variants", "translations", "attribute_values", "media")


@pytest.fixture
def merch_client(client, merchandiser):
    client.force_login(merchandiser)
    return client


def product_post(*, options=(), variants=(), **fields):
    """POST data for the product change form: options [(name, values, pk)], variants dicts."""
    data = {
        "title": "Linen shirt",
        "handle": "linen-shirt",
        "status": "draft",
        "description": "",
        "brand": "",
        "product_type": "",
        "tags": "[]",
        "seo_title": "",
        "seo_description": "",
        **fields,
    }
    rows = {"options": list(options), "variants": list(variants)}
    for prefix in INLINES:
        forms = rows.get(prefix, [])
        initial = sum(1 for form in forms if form.get("id"))
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(forms)),
            f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for i, form in enumerate(forms):
            data |= {f"{prefix}-{i}-{key}": value for key, value in form.items()}
    return data


def option_row(name, values, pk=""):
    return {"name": name, "values": values, "id": pk}


def variant_row(sku, *values, usd="", pk="", **extra):
    row = {"sku": sku, "status": "active", "position": "0", "weight_grams": "", "id": pk}
    row |= {f"option{n}": v for n, v in enumerate(values, start=1)}
    row |= {"price_USD": usd, "price_CAD": "", "price_EUR": ""}
    return row | extra


FOUR_VARIANTS = [
    variant_row("TEE-RED-S", "Red", "S", usd="19.99"),
    variant_row("TEE-RED-M", "Red", "M", usd="19.99"),
    variant_row("TEE-BLU-S", "Blue", "S", usd="21.00"),
    variant_row("TEE-BLU-M", "Blue", "M", usd="21"),
]


def sized_variant(product, **kwargs):
    """A variant with its own value of a product option, so several fit on one product."""
    option = product.options.first() or OptionFactory(product=product, name="Size")
    return VariantFactory(
        product=product, option_values=[OptionValueFactory(option=option)], **kwargs
    )


def test_product_changelist_merchandiser_gets_200(merch_client):
    ProductFactory(title="Wool hat")

    response = merch_client.get(CHANGELIST)

    assert response.status_code == 200
    assert b"Wool hat" in response.content


def test_product_changelist_staff_without_group_gets_403(client):
    client.force_login(StaffFactory(email="nobody@example.com"))

    response = client.get(CHANGELIST)

    assert response.status_code == 403


def test_product_changelist_query_count_does_not_grow_with_products(merch_client):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert merch_client.get(CHANGELIST).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    VariantFactory(product=ProductFactory(), prices={"USD": 1000})
    count_queries()  # warm the caches (market, session) that the first request fills
    few = count_queries()
    for _ in range(15):
        product = ProductFactory()
        sized_variant(product, prices={"USD": 1000})
        sized_variant(product, prices={"USD": 2500})
    many = count_queries()

    assert len(many) == len(few), "\n".join(set(many) ^ set(few))


def test_product_changelist_shows_variant_count_and_usd_price_range(merch_client):
    product = ProductFactory(title="Range tee")
    sized_variant(product, prices={"USD": 1000, "EUR": 500})
    sized_variant(product, prices={"USD": 2550})

    response = merch_client.get(CHANGELIST)

    row = response.context["cl"].result_list.get(pk=product.pk)
    assert (row.variant_count, row.price_min, row.price_max) == (2, 1000, 2550)
    assert "$10.00 – $25.50" in response.content.decode()


def test_product_search_by_sku_and_identifier_finds_product_once(merch_client):
    product = ProductFactory(title="Findable")
    variant = sized_variant(product, sku="FIND-ME-1")
    sized_variant(product, sku="FIND-ME-2")
    VariantIdentifierFactory(variant=variant, kind="ean", value="4006381333931")
    ProductFactory(title="Other")

    by_sku = merch_client.get(CHANGELIST, {"q": "FIND-ME"})
    by_ean = merch_client.get(CHANGELIST, {"q": "4006381333931"})

    assert [p.title for p in by_sku.context["cl"].result_list] == ["Findable"]
    assert [p.title for p in by_ean.context["cl"].result_list] == ["Findable"]


def test_product_add_with_two_options_and_four_variants_creates_everything(merch_client):
    data = product_post(
        options=[option_row("Color", "Red, Blue"), option_row("Size", "S, M")],
        variants=FOUR_VARIANTS,
    )

    response = merch_client.post(ADD, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    product = Product.objects.get(handle="linen-shirt")
    assert [(o.name, [v.value for v in o.values.all()]) for o in product.options.all()] == [
        ("Color", ["Red", "Blue"]),
        ("Size", ["S", "M"]),
    ]
    variants = {v.sku: v for v in product.variants.all()}
    assert {sku: v.option_label() for sku, v in variants.items()} == {
        "TEE-RED-S": "Red / S",
        "TEE-RED-M": "Red / M",
        "TEE-BLU-S": "Blue / S",
        "TEE-BLU-M": "Blue / M",
    }
    assert all(
        v.option_key == "-".join(str(pk) for pk in sorted(ov.pk for ov in v.option_values.all()))
        for v in variants.values()
    )
    assert sorted(
        VariantPrice.objects.values_list("variant__sku", "currency", "amount_cents")
    ) == [
        ("TEE-BLU-M", "USD", 2100),
        ("TEE-BLU-S", "USD", 2100),
        ("TEE-RED-M", "USD", 1999),
        ("TEE-RED-S", "USD", 1999),
    ]


@pytest.mark.parametrize(
    ("variants", "field", "message"),
    [
        (
            [variant_row("A-1", "Red", "S"), variant_row("A-2", "red", "S")],
            None,
            "Variant 1 already has these options (Red / S).",
        ),
        ([variant_row("A-1", "Green", "S")], "option1", "'Green' is not a Color (Red, Blue)."),
        ([variant_row("A-1", "Red")], "option2", "Choose a Size."),
        (
            [variant_row("A-1", "Red", "S", option3="XL")],
            "option3",
            "The product has no option 3.",
        ),
        (
            [variant_row("A-1", "Red", "S", usd="-5.00")],
            "price_USD",
            "'-5.00' is negative; prices are 0 or more.",
        ),
        ([variant_row("A-1", "Red", "S", usd="abc")], "price_USD", "'abc' is not a number"),
        (
            [variant_row("A-1", "Red", "S", usd="1.999")],
            "price_USD",
            "'1.999' has more than 2 decimal places for USD",
        ),
    ],
)
def test_product_add_with_invalid_variant_is_refused(merch_client, variants, field, message):
    data = product_post(
        options=[option_row("Color", "Red, Blue"), option_row("Size", "S, M")], variants=variants
    )

    response = merch_client.post(ADD, data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    errors = [
        msg
        for form in formset.formset.forms
        for msg in (form.non_field_errors() if field is None else form.errors.get(field, []))
    ]
    assert errors == [message]
    assert (Product.objects.count(), Variant.objects.count(), Option.objects.count()) == (0, 0, 0)


def test_product_add_with_duplicate_option_value_is_refused(merch_client):
    data = product_post(options=[option_row("Color", "Red, red")], variants=[])

    response = merch_client.post(ADD, data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Option)
    assert formset.formset.forms[0].errors["values"] == ["'red' is listed twice."]
    assert Product.objects.count() == 0


@pytest.fixture
def tee():
    product = ProductFactory(handle="tee", title="Tee", status=ProductStatus.DRAFT)
    color = OptionFactory(product=product, name="Color", position=0)
    red = OptionValueFactory(option=color, value="Red", position=0)
    blue = OptionValueFactory(option=color, value="Blue", position=1)
    VariantFactory(product=product, sku="TEE-R", option_values=[red], prices={"USD": 1000})
    VariantFactory(product=product, sku="TEE-B", option_values=[blue], prices={"USD": 1200})
    return product


def tee_post(product, **changes):
    color = product.options.get()
    red, blue = (product.variants.get(sku=s) for s in ("TEE-R", "TEE-B"))
    rows = [
        variant_row("TEE-R", "Red", usd="10.00", pk=str(red.pk), weight_grams="250"),
        variant_row("TEE-B", "Blue", usd="12.00", pk=str(blue.pk), weight_grams="250"),
    ]
    for i, row_changes in changes.get("variants", {}).items():
        rows[i] |= row_changes
    for row in rows:
        row["product"] = str(product.pk)
    options = [option_row("Color", changes.get("values", "Red, Blue"), pk=str(color.pk))]
    options[0]["product"] = str(product.pk)
    return product_post(options=options, variants=rows, title="Tee", handle="tee")


def test_product_change_sku_is_refused_and_nothing_changes(merch_client, tee):
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    response = merch_client.post(url, tee_post(tee, variants={0: {"sku": "TEE-RED"}}))

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    assert formset.formset.forms[0].errors["sku"] == [
        "The SKU cannot change once saved (it is TEE-R). Add a new variant instead."
    ]
    assert sorted(Variant.objects.values_list("sku", flat=True)) == ["TEE-B", "TEE-R"]


def test_product_change_price_updates_only_that_price(merch_client, tee):
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    response = merch_client.post(url, tee_post(tee, variants={1: {"price_USD": "13.50"}}))

    assert response.status_code == 302
    assert sorted(VariantPrice.objects.values_list("variant__sku", "amount_cents")) == [
        ("TEE-B", 1350),
        ("TEE-R", 1000),
    ]


def test_product_change_swapping_combinations_saves(merch_client, tee):
    url = reverse("admin:catalog_product_change", args=[tee.pk])
    data = tee_post(tee, variants={0: {"option1": "Blue"}, 1: {"option1": "Red"}})

    response = merch_client.post(url, data)

    assert response.status_code == 302
    labels = {v.sku: v.option_label() for v in Variant.objects.all()}
    assert labels == {"TEE-R": "Blue", "TEE-B": "Red"}


def test_product_change_removing_a_used_value_is_refused(merch_client, tee):
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    response = merch_client.post(url, tee_post(tee, values="Red"))

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    assert formset.formset.forms[1].errors["option1"] == ["'Blue' is not a Color (Red)."]
    assert [v.value for v in tee.options.get().values.all()] == ["Red", "Blue"]


def test_variant_page_refuses_identifier_with_wrong_check_digit(merch_client, tee):
    variant = tee.variants.get(sku="TEE-R")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    data = {
        "title": "",
        "weight_grams": "250",
        "status": "active",
        "position": "0",
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
        "identifiers-TOTAL_FORMS": "1",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-kind": "ean",
        "identifiers-0-value": "4006381333932",
    }

    response = merch_client.post(url, data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    assert formset.forms[0].errors["value"] == [
        "EAN: '4006381333932' has a wrong check digit for a EAN."
    ]
    assert VariantIdentifier.objects.count() == 0


def test_variant_page_refuses_unknown_currency_and_negative_price(merch_client, tee):
    variant = tee.variants.get(sku="TEE-R")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    data = {
        "title": "",
        "weight_grams": "250",
        "status": "active",
        "position": "0",
        "prices-TOTAL_FORMS": "2",
        "prices-INITIAL_FORMS": "0",
        "prices-0-currency": "XXQ",
        "prices-0-amount": "1.00",
        "prices-1-currency": "EUR",
        "prices-1-amount": "-1",
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
    }

    response = merch_client.post(url, data)

    assert response.status_code == 200
    forms = response.context["inline_admin_formsets"][0].formset.forms
    assert forms[0].errors["currency"] == ["'XXQ' is not an ISO 4217 currency code."]
    assert forms[1].errors["amount"] == ["'-1' is negative; prices are 0 or more."]
    assert list(VariantPrice.objects.filter(variant=variant).values_list("currency")) == [("USD",)]


def test_publish_and_archive_actions_change_status(merch_client, tee):
    other = ProductFactory(status=ProductStatus.ACTIVE)

    merch_client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [tee.pk, other.pk]}
    )
    tee.refresh_from_db()
    published_at = tee.published_at
    merch_client.post(CHANGELIST, {"action": "archive_selected", "_selected_action": [other.pk]})
    other.refresh_from_db()

    assert (tee.status, other.status) == (ProductStatus.ACTIVE, ProductStatus.ARCHIVED)
    assert published_at is not None


def test_import_view_previews_then_confirms(merch_client):
    csv = b"handle,title,sku,price_USD\nmug,Mug,MUG-1,9.50\n"
    url = reverse("admin:catalog_product_import")
    upload = {"file": _upload("mug.csv", csv), "format": "emporium", "currency": "USD"}

    preview = merch_client.post(url, upload)
    assert Product.objects.count() == 0
    confirm = preview.context["confirm_form"].initial
    response = merch_client.post(url, {**confirm, "confirm": "1"})

    assert preview.context["result"].summary() == (
        "1 created, 0 updated, 0 skipped, 0 warnings, 0 errors"
    )
    assert response.status_code == 302
    assert list(VariantPrice.objects.values_list("variant__sku", "amount_cents")) == [
        ("MUG-1", 950)
    ]


def test_import_view_shows_row_errors_and_offers_no_confirm(merch_client):
    csv = b"handle,title,sku,price_USD\nmug,Mug,MUG-1,-1\n"
    url = reverse("admin:catalog_product_import")

    response = merch_client.post(url, {"file": _upload("m.csv", csv), "format": "emporium"})

    assert "confirm_form" not in response.context
    assert response.context["result"].messages() == [
        "Row 2: error: price_USD: '-1' is negative; prices are 0 or more."
    ]
    assert "is negative" in response.content.decode()
    assert Product.objects.count() == 0


def test_import_view_forged_token_is_refused(merch_client):
    url = reverse("admin:catalog_product_import")
    data = {"token": "../../etc/passwd", "format": "emporium", "currency": "USD", "confirm": "1"}

    response = merch_client.post(url, data)

    assert response.status_code == 403


def test_export_view_downloads_csv(merch_client, tee):
    response = merch_client.get(reverse("admin:catalog_product_export", args=["csv"]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="catalog.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("handle,title,description,brand,categories,")
    assert len(lines) == 3


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_import_view_refuses_an_oversized_file_with_a_form_error(merch_client, settings):
    settings.CATALOG_IMPORT_MAX_BYTES = 1024
    url = reverse("admin:catalog_product_import")
    big = b"handle,title,sku\n" + b"x" * 4096

    response = merch_client.post(url, {"file": _upload("big.csv", big), "format": "emporium"})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file is 4,113 bytes; the largest accepted is 1,024 bytes. "
        "Split it into several files."
    ]
    assert Product.objects.count() == 0


def test_product_tags_are_typed_comma_separated():
    from catalog.admin_forms import ProductAdminForm

    product = ProductFactory(tags=["summer", "organic"])
    form = ProductAdminForm(instance=product)

    assert form["tags"].value() == "summer, organic"
    assert 'value="summer, organic"' in str(form["tags"])
    assert form.fields["tags"].clean(" gift idea, summer,,summer ") == ["gift idea", "summer"]


def test_product_change_page_query_count_does_not_grow_with_rows(merch_client):
    product = ProductFactory()
    size = OptionFactory(product=product, name="Size")
    url = reverse("admin:catalog_product_change", args=[product.pk])

    def add_rows(count):
        for _ in range(count):
            variant = sized_variant(product, prices={"USD": 1000, "EUR": 900})
            MediaFactory(product=product, variant=variant)
            ProductAttributeValueFactory(product=product, attribute=AttributeFactory())

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert merch_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add_rows(1)
    count_queries()  # warm the caches (market, session) that the first request fills
    few = count_queries()
    add_rows(6)
    many = count_queries()

    assert size.values.count() == 7
    assert many == few


@pytest.mark.parametrize("name", ["catalog.html", "catalog.csv.exe", "catalog"])
def test_import_view_refuses_a_file_that_is_not_csv_or_xlsx(merch_client, name):
    url = reverse("admin:catalog_product_import")
    csv = b"handle,title,sku,price_USD\nmug,Mug,MUG-1,9.50\n"

    response = merch_client.post(url, {"file": _upload(name, csv), "format": "emporium"})

    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("File extension")
    assert "result" not in response.context
    assert Product.objects.count() == 0


@pytest.fixture
def catalog_rows(tee):
    from tests.factories.catalog import AttributeFactory, BrandFactory, CategoryFactory

    BrandFactory(name="Acme")
    CategoryFactory(slug="apparel", name="Apparel")
    AttributeFactory(code="material", name="Material")
    return tee


def _admin_pages(product):
    variant = product.variants.first()
    return [
        reverse("admin:index"),
        reverse("admin:app_list", args=["catalog"]),
        CHANGELIST,
        ADD,
        reverse("admin:catalog_product_change", args=[product.pk]),
        reverse("admin:catalog_product_history", args=[product.pk]),
        reverse("admin:catalog_product_import"),
        reverse("admin:catalog_variant_changelist"),
        reverse("admin:catalog_variant_change", args=[variant.pk]),
        reverse("admin:catalog_brand_changelist"),
        reverse("admin:catalog_brand_add"),
        reverse("admin:catalog_category_changelist"),
        reverse("admin:catalog_category_add"),
        reverse("admin:catalog_attribute_changelist"),
        reverse("admin:catalog_attribute_add"),
    ]


def test_every_catalog_admin_page_renders_for_a_merchandiser(merch_client, catalog_rows):
    for url in _admin_pages(catalog_rows):
        response = merch_client.get(url)

        assert response.status_code == 200, url


def test_catalog_admin_pages_refuse_staff_without_the_merchandiser_group(client, catalog_rows):
    client.force_login(StaffFactory(email="nobody@example.com"))
    pages = _admin_pages(catalog_rows)[2:]  # the index and app list are the staff's own

    statuses = {url: client.get(url).status_code for url in pages}
    export = client.get(reverse("admin:catalog_product_export", args=["csv"]))
    import_post = client.post(
        reverse("admin:catalog_product_import"),
        {"file": _upload("m.csv", b"handle,title,sku\nmug,Mug,MUG-1\n"), "format": "emporium"},
    )

    assert set(statuses.values()) == {403}, statuses
    assert (export.status_code, import_post.status_code) == (403, 403)
    assert Product.objects.count() == 1


def test_catalog_admin_import_is_refused_to_view_only_staff(client, operations_user):
    client.force_login(operations_user)

    page = client.get(reverse("admin:catalog_product_import"))
    export = client.get(reverse("admin:catalog_product_export", args=["csv"]))

    assert (page.status_code, export.status_code) == (403, 200)


def test_anonymous_admin_request_goes_to_the_login_page(client):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_variant_page_ignores_a_forged_sku(merch_client, tee):
    variant = tee.variants.get(sku="TEE-R")
    data = {
        "sku": "TEE-FORGED",
        "title": "",
        "weight_grams": "250",
        "status": "active",
        "position": "0",
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
    }

    response = merch_client.post(reverse("admin:catalog_variant_change", args=[variant.pk]), data)

    assert response.status_code == 302
    assert sorted(Variant.objects.values_list("sku", flat=True)) == ["TEE-B", "TEE-R"]


def test_product_add_shows_a_service_refusal_on_its_row_and_writes_nothing(merch_client):
    too_big = "999999999999999999"  # parses, but is more cents than the catalog stores
    data = product_post(
        options=[option_row("Color", "Red")], variants=[variant_row("A-1", "Red", usd=too_big)]
    )

    response = merch_client.post(ADD, data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    assert formset.formset.forms[0].errors["price_USD"] == [
        "99999999999999999900 is not a whole, non-negative number of minor units "
        "(send 1999 for 19.99)."
    ]
    assert (Product.objects.count(), Variant.objects.count(), Option.objects.count()) == (0, 0, 0)


def test_variant_page_saves_prices_and_identifiers_through_the_services(merch_client, tee):
    variant = tee.variants.get(sku="TEE-R")
    usd = variant.prices.get()
    data = {
        "title": "Red tee",
        "weight_grams": "300",
        "status": "active",
        "position": "1",
        "prices-TOTAL_FORMS": "2",
        "prices-INITIAL_FORMS": "1",
        "prices-0-id": str(usd.pk),
        "prices-0-variant": str(variant.pk),
        "prices-0-currency": "USD",
        "prices-0-amount": "9.00",  # decimals in the US market's locale (en)
        "prices-0-compare_at": "10",
        "prices-1-currency": "EUR",
        "prices-1-amount": "8,00",  # decimals in the EU market's locale (de)
        "prices-1-compare_at": "",
        "identifiers-TOTAL_FORMS": "1",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-kind": "ean",
        "identifiers-0-value": "4006-3813-33931",
    }

    response = merch_client.post(reverse("admin:catalog_variant_change", args=[variant.pk]), data)

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.title, variant.weight_grams, variant.position) == ("Red tee", 300, 1)
    assert sorted(variant.prices.values_list("currency", "amount_cents", "compare_at_cents")) == [
        ("EUR", 800, None),
        ("USD", 900, 1000),
    ]
    assert list(variant.identifiers.values_list("kind", "value")) == [("ean", "4006381333931")]
