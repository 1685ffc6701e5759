"""Shipping methods, zones and rates (Operations) and tax rates (Finance) in the admin: who may
edit which, what the forms accept, and that checkout sees a change at once."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from orders.models import ShippingMethod, ShippingRate, ShippingZone, TaxRate
from orders.providers.tables import rate_tables
from tests.factories.orders import ensure_order_config

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _seeded(db):
    ensure_order_config()


@pytest.fixture
def ops(operations_user):
    return client_for(operations_user)


@pytest.fixture
def finance(finance_user):
    return client_for(finance_user)


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:orders_{model}_{view}", args=args)


def rate_form(method, zone, **fields) -> dict:
    return {
        "method": method.pk,
        "zone": zone.pk,
        "currency": "usd",
        "price": "5.99",
        "min_weight_grams": "0",
        "max_weight_grams": "",
        "min_order": "0",
        "max_order": "",
        "free_over": "",
        "is_active": "on",
        **fields,
    }


def tax_form(**fields) -> dict:
    return {
        "country": "us",
        "region": "ny",
        "name": "New York State sales tax",
        "rate_percent": "8.875",
        "applies_to_shipping": "on",
        "is_active": "on",
        **fields,
    }


# --- who may edit what ------------------------------------------------------------------------


def test_the_groups_hold_the_right_permissions():
    def codenames(name):
        group = Group.objects.get(name=name)
        return set(
            group.permissions.filter(content_type__app_label="orders").values_list(
                "codename", flat=True
            )
        )

    operations, finance, merchandiser = (
        codenames("Operations"),
        codenames("Finance"),
        codenames("Merchandiser"),
    )

    assert {
        "change_order",
        "change_shippingrate",
        "add_shippingzone",
        "view_taxrate",
    } <= operations
    assert operations & {"add_taxrate", "change_taxrate", "delete_taxrate"} == set()
    assert {"view_order", "add_taxrate", "change_taxrate", "delete_taxrate"} <= finance
    assert finance & {"change_order", "change_shippingrate", "add_shippingzone"} == set()
    assert merchandiser == set()


def test_operations_edit_shipping_and_only_read_tax_rates(ops):
    tax = TaxRate.objects.get(country="US", region="NY")

    assert ops.get(url("shippingrate", "changelist")).status_code == 200
    assert ops.get(url("shippingzone", "add")).status_code == 200
    assert ops.get(url("taxrate", "changelist")).status_code == 200
    assert ops.get(url("taxrate", "add")).status_code == 403
    assert (
        ops.post(url("taxrate", "change", tax.pk), tax_form(rate_percent="1")).status_code == 403
    )
    assert TaxRate.objects.get(pk=tax.pk).rate_ppm == 40_000


def test_finance_edit_tax_rates_and_not_shipping(finance):
    rate = ShippingRate.objects.first()

    assert finance.get(url("taxrate", "add")).status_code == 200
    assert finance.get(url("shippingrate", "change", rate.pk)).status_code == 200  # to read
    assert finance.post(url("shippingrate", "change", rate.pk), {}).status_code == 403
    assert finance.get(url("shippingzone", "add")).status_code == 403


def test_a_merchandiser_sees_neither(merchandiser):
    client = client_for(merchandiser)

    for model in ("shippingmethod", "shippingzone", "shippingrate", "taxrate"):
        assert client.get(url(model, "changelist")).status_code == 403


# --- shipping ---------------------------------------------------------------------------------


def test_a_zone_takes_country_and_region_codes_as_typed(ops):
    response = ops.post(
        url("shippingzone", "add"),
        {
            "name": "Pacific",
            "countries": "us, ca",
            "regions": "US-WA US-OR, ca-bc",
            "rates-TOTAL_FORMS": "0",
            "rates-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    zone = ShippingZone.objects.get(name="Pacific")
    assert (zone.countries, zone.regions) == (["US", "CA"], ["US-WA", "US-OR", "CA-BC"])


@pytest.mark.parametrize(
    ("countries", "regions", "field", "message"),
    [
        ("US, XX", "", "countries", "Not country codes: XX."),
        ("", "", "countries", "This field is required."),
        ("US", "CA-ON", "regions", "CA-ON: CA is not one of the zone's countries."),
        ("US", "US-ZZ", "regions", "US-ZZ: ZZ is not a region of US."),
    ],
)
def test_a_zone_with_bad_codes_is_refused(ops, countries, regions, field, message):
    response = ops.post(
        url("shippingzone", "add"),
        {
            "name": "Bad",
            "countries": countries,
            "regions": regions,
            "rates-TOTAL_FORMS": "0",
            "rates-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert not ShippingZone.objects.filter(name="Bad").exists()


def test_a_rate_takes_amounts_in_its_currency_and_checkout_sees_it_at_once(ops):
    method = ShippingMethod.objects.get(code="express")
    zone = ShippingZone.objects.get(name="United States")
    rate_tables()  # cached, as checkout left it

    response = ops.post(
        url("shippingrate", "add"),
        rate_form(method, zone, price="12.50", min_order="100", free_over="250.00"),
    )

    assert response.status_code == 302
    rate = ShippingRate.objects.latest("pk")
    assert (rate.currency, rate.price_cents, rate.min_order_cents, rate.free_over_cents) == (
        "USD",
        1250,
        10000,
        25000,
    )
    shipping, _tax = rate_tables()
    assert [r.price_cents for r in shipping if r.min_order_cents == 10000] == [1250]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"price": "abc"}, "price", "'abc' is not a number"),
        ({"price": ""}, "price", "This field is required."),
        ({"price": "-1"}, "price", "'-1' is negative; prices are 0 or more."),
        ({"price": "1.999"}, "price", "'1.999' has more than 2 decimal places for USD"),
        (
            {"min_order": "50", "max_order": "50"},
            "max_order",
            "Must be more than the order value it starts at.",
        ),
        (
            {"min_weight_grams": "2000", "max_weight_grams": "1000"},
            "__all__",
            "Constraint “shipping_rate_weight_band” is violated.",
        ),
        ({"currency": "XYZ"}, "currency", "Not an ISO 4217 currency code."),
    ],
)
def test_a_bad_rate_is_refused_and_nothing_saved(ops, fields, field, message):
    method = ShippingMethod.objects.get(code="express")
    zone = ShippingZone.objects.get(name="United States")
    before = ShippingRate.objects.count()

    response = ops.post(url("shippingrate", "add"), rate_form(method, zone, **fields))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert ShippingRate.objects.count() == before


def test_a_rate_page_shows_its_amounts_as_typed(ops):
    rate = ShippingRate.objects.get(zone__name="Canada", method__code="standard", price_cents=899)

    form = ops.get(url("shippingrate", "change", rate.pk)).context["adminform"].form

    assert (form["price"].value(), form["free_over"].value()) == ("8.99", "75.00")


def test_a_shipping_method_is_switched_off_not_deleted(ops):
    method = ShippingMethod.objects.get(code="express")

    assert ops.post(url("shippingmethod", "delete", method.pk), {"post": "yes"}).status_code == 403
    response = ops.post(
        url("shippingmethod", "change", method.pk),
        {"name": "Express", "description": "", "min_days": "1", "max_days": "2", "position": "1"},
    )

    assert response.status_code == 302
    method.refresh_from_db()
    assert (method.code, method.is_active) == ("express", False)
    assert {r.method_code for r in rate_tables()[0]} == {"standard"}


# --- tax ------------------------------------------------------------------------------------


def test_finance_sets_a_rate_in_percent_exactly(finance):
    tax = TaxRate.objects.get(country="US", region="NY")
    rate_tables()

    form = finance.get(url("taxrate", "change", tax.pk)).context["adminform"].form
    response = finance.post(url("taxrate", "change", tax.pk), tax_form(rate_percent="8.875"))

    assert form["rate_percent"].value() == 4
    assert response.status_code == 302
    tax.refresh_from_db()
    assert (tax.country, tax.region, tax.rate_ppm) == ("US", "NY", 88_750)
    assert [r.rate_ppm for r in rate_tables()[1] if (r.country, r.region) == ("US", "NY")] == [
        88_750
    ]


def test_finance_adds_a_province_rate(finance):
    response = finance.post(
        url("taxrate", "add"),
        tax_form(country="ca", region="mb", name="GST + PST", rate_percent="12"),
    )

    assert response.status_code == 302
    tax = TaxRate.objects.get(country="CA", region="MB")
    assert (tax.rate_ppm, tax.prices_include_tax) == (120_000, False)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"country": "XX"}, "country", "Not an ISO 3166 alpha-2 country code."),
        ({"country": "US", "region": "ZZ"}, "region", "ZZ is not a region of US."),
        (
            {"rate_percent": "100.5"},
            "rate_percent",
            "Ensure this value is less than or equal to 100.",
        ),
        (
            {"rate_percent": "-1"},
            "rate_percent",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"rate_percent": "8.87501"},
            "rate_percent",
            "Ensure that there are no more than 4 decimal places.",
        ),
        (
            {"country": "US", "region": "NJ"},
            "__all__",
            "Tax rate with this Country and Region already exists.",
        ),
    ],
)
def test_a_bad_tax_rate_is_refused_and_nothing_saved(finance, fields, field, message):
    before = sorted(TaxRate.objects.values_list("country", "region", "rate_ppm"))

    response = finance.post(
        url("taxrate", "add"), tax_form(**{"country": "MX", "region": "", **fields})
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert sorted(TaxRate.objects.values_list("country", "region", "rate_ppm")) == before


@pytest.mark.django_db(transaction=True)
def test_a_checkout_reading_during_the_change_leaves_no_stale_copy():
    """The cached tables are dropped again when the change commits: a checkout that read
    (and cached) the tables while the change was uncommitted does not keep the old rate."""
    import threading

    from django.db import connection, transaction

    ensure_order_config()
    rate = ShippingRate.objects.filter(method__code="standard", currency="USD").first()
    rate_tables()
    with transaction.atomic():
        ShippingRate.objects.filter(pk=rate.pk).update(price_cents=4321)
        rate.refresh_from_db()
        rate.save()  # the admin's save: the signal drops the cached copy (not yet committed)

        def concurrent_checkout():
            rate_tables()  # reads the committed (old) price and caches it
            connection.close()

        reader = threading.Thread(target=concurrent_checkout)
        reader.start()
        reader.join(30)

    shipping, _tax = rate_tables()
    assert 4321 in [r.price_cents for r in shipping if r.method_code == "standard"]
