import pytest

from orders import providers
from orders.models import DummyCharge, TaxRate
from orders.providers.payments.base import GatewayError, GatewayTimeout
from orders.providers.payments.dummy import TEST_CARDS, token_for_card_number
from orders.providers.shipping.base import ShippingRequest
from orders.providers.tax.base import TaxableItem, TaxRequest, TaxUnavailable
from shop.money import Money

pytestmark = pytest.mark.django_db
USD = Money(1234, "USD")


@pytest.mark.parametrize(
    ("number", "token"),
    [
        ("4242 4242 4242 4242", "tok_visa"),
        ("4000-0000-0000-0002", "tok_declined"),
        ("4000000000000119", "tok_timeout"),
        ("4000 0000 0000 0127", "tok_timeout_nocharge"),
        ("4100 0000 0000 0019", "tok_risky"),
        ("4111 1111 1111 1111", None),
        ("", None),
    ],
)
def test_card_numbers_map_to_test_tokens(number, token):
    assert token_for_card_number(number) == token


def test_every_api_md_token_is_known():
    assert [c.token for c in TEST_CARDS] == [
        "tok_visa",
        "tok_declined",
        "tok_timeout",
        "tok_timeout_nocharge",
        "tok_risky",
    ]


def test_visa_authorizes_with_low_risk_and_replays_the_same_answer(gateway):
    first = gateway.authorize(amount=USD, token="tok_visa", idempotency_key="k1")
    again = gateway.authorize(amount=USD, token="tok_visa", idempotency_key="k1")

    assert (first.approved, first.fraud_score, first.status) == (True, 5, "authorized")
    assert again.reference == first.reference
    assert DummyCharge.objects.count() == 1


def test_same_key_with_another_amount_is_a_gateway_error(gateway):
    gateway.authorize(amount=USD, token="tok_visa", idempotency_key="k1")

    with pytest.raises(GatewayError):
        gateway.authorize(amount=Money(1, "USD"), token="tok_visa", idempotency_key="k1")


def test_declined_and_unknown_tokens_decline(gateway):
    declined = gateway.authorize(amount=USD, token="tok_declined", idempotency_key="k1")
    unknown = gateway.authorize(amount=USD, token="tok_nope", idempotency_key="k2")

    assert (declined.approved, declined.decline_code) == (False, "card_declined")
    assert (unknown.approved, unknown.decline_code) == (False, "invalid_token")


def test_timeout_authorizes_and_a_lookup_finds_it(gateway):
    with pytest.raises(GatewayTimeout):
        gateway.authorize(amount=USD, token="tok_timeout", idempotency_key="k1")

    found = gateway.lookup(idempotency_key="k1")
    assert (found.approved, found.amount) == (True, USD)


def test_timeout_nocharge_leaves_nothing_to_find(gateway):
    with pytest.raises(GatewayTimeout):
        gateway.authorize(amount=USD, token="tok_timeout_nocharge", idempotency_key="k1")

    assert gateway.lookup(idempotency_key="k1") is None


def test_risky_authorizes_with_a_high_fraud_score(gateway):
    result = gateway.authorize(amount=USD, token="tok_risky", idempotency_key="k1")

    assert (result.approved, result.fraud_score) == (True, 92)


def test_capture_refund_void_follow_the_charge(gateway):
    auth = gateway.authorize(amount=USD, token="tok_visa", idempotency_key="k1")
    gateway.capture(reference=auth.reference, amount=USD, idempotency_key="c1")
    gateway.refund(reference=auth.reference, amount=Money(234, "USD"), idempotency_key="r1")
    gateway.refund(reference=auth.reference, amount=Money(234, "USD"), idempotency_key="r1")

    charge = DummyCharge.objects.get()
    assert (charge.status, charge.captured_cents, charge.refunded_cents) == ("captured", 1234, 234)
    with pytest.raises(GatewayError):
        gateway.refund(reference=auth.reference, amount=Money(1001, "USD"), idempotency_key="r2")
    with pytest.raises(GatewayError):
        gateway.void(reference=auth.reference, idempotency_key="v1")


def test_manual_tax_reads_the_seeded_table():
    quote = providers.tax_provider().quote(
        TaxRequest("USD", "US", "NY", "10118", [TaxableItem("a", 10_000)], TaxableItem("s", 599))
    )

    assert (quote.items["a"].tax_cents, quote.shipping.tax_cents, quote.jurisdiction) == (
        400,
        24,
        "US-NY",
    )


def test_manual_tax_without_rows_for_the_country_fails_closed():
    TaxRate.objects.filter(country="DE").update(is_active=False)

    with pytest.raises(TaxUnavailable):
        providers.tax_provider().quote(TaxRequest("EUR", "DE", "", "", [TaxableItem("a", 100)]))


@pytest.mark.parametrize(
    ("country", "region", "currency", "weight", "goods", "expected"),
    [
        ("US", "NY", "USD", 500, 1000, [("standard", 599), ("express", 1499)]),
        ("US", "NY", "USD", 500, 5000, [("standard", 0), ("express", 1499)]),
        ("US", "NY", "USD", 12000, 1000, [("standard", 1999), ("express", 2499)]),
        ("US", "HI", "USD", 500, 9000, [("standard", 1499), ("express", 3499)]),
        ("CA", "ON", "CAD", 500, 1000, [("standard", 899), ("express", 1999)]),
        ("DE", "", "EUR", 500, 1000, [("standard", 499), ("express", 1499)]),
        ("DE", "", "USD", 500, 1000, []),
        ("MX", "", "USD", 500, 1000, []),
    ],
)
def test_seeded_shipping_rates(country, region, currency, weight, goods, expected):
    options = providers.shipping_provider().rates(
        ShippingRequest(currency, country, region, "", weight, goods)
    )

    assert [(o.code, o.price_cents) for o in options] == expected
