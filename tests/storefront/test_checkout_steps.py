"""Checkout steps as pages: each validates on the server, shows clear errors on its form,
changes nothing on a refusal, can be revisited, and logs entering and leaving."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import selectors as order_selectors
from orders import services as order_services
from orders.exceptions import InvalidCard
from orders.models import Cart, CartStatus, CheckoutStepEvent
from orders.tasks import forget_stale_cards
from tests.factories.orders import checkout_ready_cart
from tests.storefront.checkout_support import (
    add,
    address_form,
    card_form,
    set_price,
    to_review,
)

pytestmark = pytest.mark.django_db


def checkout_details() -> tuple:
    cart = Cart.objects.get()
    return (cart.email, cart.shipping_address, cart.shipping_method_id)


def field_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, tee):
    assert client.get("/checkout/")["Location"] == "/cart/"
    assert client.get("/checkout/review/")["Location"] == "/cart/"


def test_steps_cannot_be_skipped(client, tee):
    add(client)

    assert client.get("/checkout/")["Location"] == "/checkout/identify/"
    assert client.get("/checkout/review/")["Location"] == "/checkout/identify/"
    assert client.post("/checkout/shipping/", {"method": "standard"})["Location"] == (
        "/checkout/identify/"
    )
    assert checkout_details() == ("", {}, None)


@pytest.mark.parametrize(
    ("email", "errors"),
    [
        ("nope", {"email": ["Enter a valid e-mail address."]}),
        ("", {"email": ["Enter your e-mail address."]}),
        (
            "a" * 250 + "@example.com",
            {"email": ["Ensure this value has at most 254 characters (it has 262)."]},
        ),
    ],
)
def test_identify_refuses_a_bad_email(client, tee, email, errors):
    add(client)

    response = client.post("/checkout/identify/", {"email": email})

    assert field_errors(response) == errors
    assert checkout_details() == ("", {}, None)


def test_identify_offers_sign_in_and_sign_up_that_come_back(client, tee):
    add(client)

    html = client.get("/checkout/identify/").content.decode()

    assert 'href="/accounts/login/?next=/checkout/"' in html
    assert 'href="/accounts/signup/?next=/checkout/"' in html


def test_a_signed_in_customer_finds_their_email_filled_in(client, tee, customer):
    client.force_login(customer)
    add(client)

    response = client.get("/checkout/identify/")

    assert response.context["form"]["email"].value() == "customer@example.com"


def test_identify_stores_the_normalised_email(client, tee):
    add(client)

    response = client.post("/checkout/identify/", {"email": "  Ada@Example.COM "})

    assert response["Location"] == "/checkout/address/"
    assert checkout_details() == ("ada@example.com", {}, None)


def _at_address(client):
    add(client)
    client.post("/checkout/identify/", {"email": "buyer@example.com"})


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"postal_code": "ABC"},
            {"postal_code": ["'ABC' is not a postal code of US (e.g. 10001)."]},
        ),
        ({"region": "ZZ"}, {"region": ["'ZZ' is not a state code."]}),
        (
            {"name": "", "line1": "", "city": "", "postal_code": "", "region": ""},
            {
                "name": ["Required."],
                "line1": ["Required."],
                "city": ["Required."],
                "postal_code": ["Required."],
                "region": ["Choose a state."],
            },
        ),
        ({"country": "DE"}, {"country": ["We do not ship there from this store."]}),
        (
            {"line1": "x" * 201},
            {"line1": ["Ensure this value has at most 200 characters (it has 201)."]},
        ),
    ],
)
def test_address_errors_land_on_their_fields(client, tee, changes, errors):
    _at_address(client)

    response = client.post("/checkout/address/", address_form(**changes))

    assert field_errors(response) == errors
    assert checkout_details() == ("buyer@example.com", {}, None)


def test_a_canadian_postal_code_is_checked_in_the_canadian_market(client, tee):
    client.get("/?market=CA")
    _at_address(client)

    bad = client.post("/checkout/address/", address_form("CA", postal_code="12345"))
    good = client.post("/checkout/address/", address_form("CA", postal_code="k1a0a9"))

    assert field_errors(bad) == {
        "postal_code": ["'12345' is not a postal code of CA (e.g. K1A 0B1)."]
    }
    assert good["Location"] == "/checkout/shipping/"
    assert Cart.objects.get().shipping_address["postal_code"] == "K1A 0A9"


def test_a_german_postal_code_is_checked_in_the_european_market(client, tee):
    client.get("/?market=EU")
    _at_address(client)

    response = client.post("/checkout/address/", address_form("EU", postal_code="1011"))

    assert field_errors(response) == {
        "postal_code": ["'1011' is not a postal code of DE (e.g. 10115)."]
    }
    assert checkout_details()[1] == {}


def test_the_address_is_stored_normalised(client, tee):
    _at_address(client)

    response = client.post(
        "/checkout/address/", address_form(region="ny", postal_code="10118-0110")
    )

    assert response["Location"] == "/checkout/shipping/"
    assert Cart.objects.get().shipping_address == {
        "name": "Ada Lovelace",
        "line1": "350 Fifth Avenue",
        "line2": "",
        "city": "New York",
        "region": "NY",
        "postal_code": "10118-0110",
        "country": "US",
        "phone": "",
    }


def _at_shipping(client):
    _at_address(client)
    client.post("/checkout/address/", address_form())


def test_shipping_lists_the_methods_with_their_prices(client, tee):
    _at_shipping(client)

    response = client.get("/checkout/shipping/")

    assert [(o.code, o.price_cents) for o in response.context["options"]] == [
        ("standard", 599),
        ("express", 1499),
    ]
    assert 'value="standard" checked' in response.content.decode()


@pytest.mark.parametrize(
    ("method", "errors"),
    [
        ("drone", {"method": ["That method does not ship to your address; choose another."]}),
        ("", {"method": ["Choose a shipping method."]}),
        (
            "standard" * 100,
            {"method": ["That method does not ship to your address; choose another."]},
        ),
        (
            "stan\x00dard",  # was a 500: PostgreSQL refuses a NUL in the method lookup
            {"method": ["That method does not ship to your address; choose another."]},
        ),
    ],
)
def test_shipping_refuses_a_method_not_offered(client, tee, method, errors):
    _at_shipping(client)

    response = client.post("/checkout/shipping/", {"method": method})

    assert field_errors(response) == errors
    assert Cart.objects.get().shipping_method is None


def test_shipping_stores_the_method(client, tee):
    _at_shipping(client)

    response = client.post("/checkout/shipping/", {"method": "express"})

    assert response["Location"] == "/checkout/payment/"
    assert Cart.objects.get().shipping_method.code == "express"


def _at_payment(client):
    _at_shipping(client)
    client.post("/checkout/shipping/", {"method": "standard"})


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (
            card_form("5555 5555 5555 4444"),
            {
                "card_number": [
                    "This card is not accepted here. In test mode use 4242 4242 4242 4242."
                ]
            },
        ),
        (card_form("4242"), {"card_number": ["Enter the card number: 12 to 19 digits."]}),
        (card_form(expiry="01 / 20"), {"expiry": ["This card has expired."]}),
        (card_form(expiry="13/30"), {"expiry": ["Enter the expiry date as MM / YY."]}),
        (card_form(cvc="12"), {"cvc": ["Enter the 3 or 4 digits on the card."]}),
        (
            {},
            {
                "card_number": ["Enter the card number."],
                "expiry": ["Enter the expiry date."],
                "cvc": ["Enter the security code."],
            },
        ),
    ],
)
def test_payment_refuses_bad_card_details_and_never_echoes_the_number(client, tee, form, errors):
    _at_payment(client)

    response = client.post("/checkout/payment/", form)

    assert field_errors(response) == errors
    assert Cart.objects.get().card_token == ""
    if form.get("card_number"):
        assert f'value="{form["card_number"]}"' not in response.content.decode()
    assert 'value="123"' not in response.content.decode()


def test_payment_keeps_the_token_and_never_the_card_number(client, tee):
    _at_payment(client)

    response = client.post("/checkout/payment/", card_form("4242-4242-4242-4242"))

    assert response["Location"] == "/checkout/review/"
    cart = Cart.objects.get()
    kept = (cart.card_token, cart.card_last4, cart.card_session_key)
    assert kept == ("tok_visa", "4242", client.session.session_key)
    assert cart.checkout_step == "review"
    assert "4242424242424242" not in str(dict(client.session.items()))
    assert "4242424242424242" not in str(Cart.objects.filter(pk=cart.pk).values().get())


def test_the_card_is_kept_for_the_browser_session_that_entered_it(client, tee):
    _at_payment(client)
    client.post("/checkout/payment/", card_form("4242 4242 4242 4242"))
    cart = Cart.objects.get()

    assert order_selectors.card_on_file(cart, session_key=client.session.session_key) == (
        "tok_visa",
        "4242",
    )
    # Another browser (another session) holding the same cart sees no card on file.
    assert order_selectors.card_on_file(cart, session_key="another-session") is None
    assert order_selectors.card_on_file(cart, session_key=None) is None


def test_keeping_the_card_and_entering_the_review_is_one_statement(client, tee):
    _at_payment(client)

    with CaptureQueriesContext(connection) as queries:
        client.post("/checkout/payment/", card_form("4242 4242 4242 4242"))

    writes = [q["sql"] for q in queries if not q["sql"].lstrip().startswith("SELECT")]
    assert len(writes) == 1, writes  # the card, the step and its log; no session write
    assert "card_token" in writes[0] and "orders_checkoutstepevent" in writes[0]


@pytest.mark.parametrize(
    ("token", "last4", "session_key"),
    [
        ("", "4242", "s"),
        ("tok\x00", "4242", "s"),
        ("t" * 65, "4242", "s"),
        ("tok", "42a2", "s"),
        ("tok", "4242", ""),
        (None, "4242", "s"),
    ],
)
def test_the_card_service_refuses_a_card_missing_a_part(tee, token, last4, session_key):
    cart = checkout_ready_cart(lines=[(tee, 1)])

    with pytest.raises(InvalidCard):
        order_services.set_checkout_card(
            cart=cart, token=token, last4=last4, session_key=session_key
        )
    assert Cart.objects.get(pk=cart.pk).card_token == ""


def test_every_step_can_be_revisited_from_the_review(client, tee):
    to_review(client)

    pages = {
        step: client.get(f"/checkout/{step}/").status_code
        for step in ("identify", "address", "shipping", "payment", "review")
    }

    assert pages == dict.fromkeys(pages, 200)


def test_review_shows_everything_and_the_place_order_form(client, tee):
    to_review(client)

    response = client.get("/checkout/review/")
    html = response.content.decode()

    assert [(row.label, row.text) for row in response.context["page"].summary] == [
        ("Subtotal", "$25.00"),
        ("Shipping", "$5.99"),
        ("Tax", "$1.24"),
        ("Total", "$32.23"),
    ]
    assert "buyer@example.com" in html and "350 Fifth Avenue" in html
    assert "Card ending in 4242" in html
    assert 'name="checkout_key"' in html and ">Place order</button>" in html


def test_each_review_page_gets_its_own_key(client, tee):
    to_review(client)

    first = client.get("/checkout/review/").context["form"].initial["checkout_key"]
    second = client.get("/checkout/review/").context["form"].initial["checkout_key"]

    assert first != second and len(first) >= 32


def test_entering_and_leaving_steps_is_logged(client, tee):
    add(client)
    client.get("/checkout/identify/")
    client.post("/checkout/identify/", {"email": "buyer@example.com"})
    client.get("/checkout/address/")
    client.get("/checkout/address/")  # a reload logs nothing
    client.get("/checkout/identify/")  # going back does

    events = list(CheckoutStepEvent.objects.values_list("step", "kind"))

    assert events == [
        ("identify", "enter"),
        ("identify", "leave"),
        ("address", "enter"),
        ("address", "leave"),
        ("identify", "enter"),
    ]


def test_the_review_page_shows_a_changed_price(client, tee):
    to_review(client)
    set_price(tee, 2700)

    response = client.get("/checkout/review/")

    assert response.context["page"].price_changes == [
        "Harbor Tee: price changed from $25.00 to $27.00"
    ]
    assert "price changed from $25.00 to $27.00" in response.content.decode()
    assert response.context["page"].summary[-1].text == "$34.31"


def test_a_card_left_on_an_idle_cart_is_forgotten_after_a_day(client, tee):
    _at_payment(client)
    client.post("/checkout/payment/", card_form("4242 4242 4242 4242"))
    cart = Cart.objects.get()
    day_ago = timezone.now() - timedelta(hours=24, minutes=1)
    fresh = checkout_ready_cart(lines=[(tee, 1)])
    Cart.objects.filter(pk=fresh.pk).update(card_token="tok_visa", card_last4="4242")
    placed = checkout_ready_cart(lines=[(tee, 1)])
    Cart.objects.filter(pk=placed.pk).update(
        card_token="tok_visa", status=CartStatus.CONVERTED, updated_at=day_ago
    )
    Cart.objects.filter(pk=cart.pk).update(updated_at=day_ago)

    assert forget_stale_cards.delay().get() == 1

    cart.refresh_from_db()
    assert (cart.card_token, cart.card_last4, cart.card_session_key) == ("", "", "")
    assert cart.updated_at > day_ago
    assert Cart.objects.get(pk=fresh.pk).card_token == "tok_visa"  # touched within the day
    assert Cart.objects.get(pk=placed.pk).card_token == "tok_visa"  # not an open cart
    # The buyer is asked for the card again.
    assert client.get("/checkout/review/")["Location"] == "/checkout/payment/"
