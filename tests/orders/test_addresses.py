import pytest

from orders.addresses import validate_address
from orders.exceptions import InvalidAddress

BASE = {"name": "Ada", "line1": "1 Main St", "city": "Town"}


@pytest.mark.parametrize(
    ("country", "region", "postal", "expected"),
    [
        ("US", "NY", "10118", "10118"),
        ("US", "ny", "10118-1234", "10118-1234"),
        ("US", "CA", "941031234", "94103-1234"),
        ("CA", "ON", "k1a0b1", "K1A 0B1"),
        ("CA", "QC", "H2X 1Y4", "H2X 1Y4"),
        ("DE", "", "10117", "10117"),
        ("NL", "", "1012ab", "1012 AB"),
        ("IE", "", "", ""),
    ],
)
def test_valid_addresses_are_normalised(country, region, postal, expected):
    clean = validate_address({**BASE, "country": country, "region": region, "postal_code": postal})

    assert (clean["country"], clean["region"], clean["postal_code"]) == (
        country,
        region.upper(),
        expected,
    )


@pytest.mark.parametrize(
    ("address", "fields"),
    [
        ({**BASE, "country": "US", "region": "NY", "postal_code": "1011"}, {"postal_code"}),
        ({**BASE, "country": "US", "region": "ZZ", "postal_code": "10118"}, {"region"}),
        ({**BASE, "country": "US", "postal_code": "10118"}, {"region"}),
        ({**BASE, "country": "CA", "region": "ON", "postal_code": "D1A 0B1"}, {"postal_code"}),
        ({**BASE, "country": "DE", "postal_code": "1011"}, {"postal_code"}),
        ({**BASE, "country": "DE", "postal_code": "ABCDE"}, {"postal_code"}),
        ({"country": "DE", "postal_code": "10117"}, {"name", "line1", "city"}),
        ({**BASE, "country": "DE", "postal_code": "10117", "name": "x" * 121}, {"name"}),
        ({**BASE, "country": "DE", "postal_code": "10117", "evil": "1"}, {"shipping_address"}),
        ({**BASE, "country": "DE", "postal_code": ["10117"]}, {"postal_code"}),
        ({**BASE, "postal_code": "10117"}, {"country"}),
    ],
)
def test_bad_addresses_name_every_bad_field(address, fields):
    with pytest.raises(InvalidAddress) as exc:
        validate_address(address)

    assert set(exc.value.fields) == fields


def test_a_country_outside_the_market_is_refused():
    with pytest.raises(InvalidAddress) as exc:
        validate_address({**BASE, "country": "DE", "postal_code": "10117"}, countries=["US"])

    assert exc.value.fields == {"country": ["We do not ship to DE from this store."]}


def test_not_a_mapping_is_refused():
    with pytest.raises(InvalidAddress):
        validate_address("1 Main St")
