"""Amounts typed and shown in a market's locale (shop.money_locale, through Babel/CLDR)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import (
    AmountInputError,
    format_amount_input,
    format_money,
    parse_decimal_amount,
    parse_money_input,
)

# The bad inputs, in each locale a market may type in and for USD, EUR and JPY:
# (text, locale, currency) -> minor units, or the exact sentence the person sees.
CASES = [
    # "26,50": a decimal comma in German, ambiguous in English (never 2650.00).
    ("26,50", "de_DE", "EUR", 2650),
    ("26,50", "de_DE", "USD", 2650),
    ("26,50", "en_US", "USD", "'26,50' is ambiguous in en_US: type 26.50"),
    ("26,50", "en_US", "EUR", "'26,50' is ambiguous in en_US: type 26.50"),
    ("26,50", "de_DE", "JPY", "'26,50' has decimal places, but JPY has none"),
    ("26,50", "en_US", "JPY", "'26,50' has decimal places, but JPY has none"),
    # "1.234,50": German grouping, the other convention in English.
    ("1.234,50", "de_DE", "EUR", 123450),
    (
        "1.234,50",
        "en_US",
        "USD",
        "'1.234,50' is written with ',' as the decimal mark; en_US uses '.': type 1234.50",
    ),
    ("1.234,50", "de_DE", "JPY", "'1.234,50' has decimal places, but JPY has none"),
    # "1,234.50": English grouping, the other convention in German.
    ("1,234.50", "en_US", "USD", 123450),
    ("1,234.50", "en_US", "EUR", 123450),
    (
        "1,234.50",
        "de_DE",
        "EUR",
        "'1,234.50' is written with '.' as the decimal mark; de_DE uses ',': type 1234,50",
    ),
    ("1,234.50", "en_US", "JPY", "'1,234.50' has decimal places, but JPY has none"),
    # "12.345": three decimals in English (too many for USD/EUR), grouping in German.
    ("12.345", "en_US", "USD", "'12.345' has more than 2 decimal places for USD"),
    ("12.345", "en_US", "EUR", "'12.345' has more than 2 decimal places for EUR"),
    ("12.345", "de_DE", "EUR", 1234500),
    ("12.345", "de_DE", "JPY", 12345),
    ("12.345", "en_US", "JPY", "'12.345' has decimal places, but JPY has none"),
    # "$12": the currency's own symbol is allowed, another currency's is refused.
    ("$12", "en_US", "USD", 1200),
    ("$12", "de_DE", "USD", 1200),
    ("$12", "en_US", "EUR", "'$12' is in another currency ($); type the amount in EUR."),
    ("$12", "de_DE", "EUR", "'$12' is in another currency ($); type the amount in EUR."),
    ("$12", "en_US", "JPY", "'$12' is in another currency ($); type the amount in JPY."),
    ("€12", "de_DE", "EUR", 1200),
    ("26,50 €", "de_DE", "EUR", 2650),
    ("EUR 26,50", "de_DE", "EUR", 2650),
    ("eur 26,50", "de_DE", "EUR", 2650),
    ("26.50 usd", "en_US", "USD", 2650),
    (
        "US$12",
        "en_US",
        "USD",
        "'US$12' is not a number: type the amount without a currency symbol.",
    ),
    ("$12", "en", "CAD", "'$12' is not a number: type the amount without a currency symbol."),
    ("CA$12", "en", "CAD", 1200),
    ("USD 12", "en_US", "EUR", "'USD 12' is in another currency (USD); type the amount in EUR."),
    # "-3": negative.
    ("-3", "en_US", "USD", "'-3' is negative; prices are 0 or more."),
    ("-3", "de_DE", "EUR", "'-3' is negative; prices are 0 or more."),
    ("-3", "en_US", "JPY", "'-3' is negative; prices are 0 or more."),
    ("-$12", "en_US", "USD", "'-$12' is negative; prices are 0 or more."),
    ("\u22123", "de_DE", "EUR", "'\u22123' is negative; prices are 0 or more."),
    # "1e9": no scientific notation (Babel itself would read it as 1000000000).
    ("1e9", "en_US", "USD", "'1e9' is not a number"),
    ("1e9", "de_DE", "EUR", "'1e9' is not a number"),
    ("1e9", "en_US", "JPY", "'1e9' is not a number"),
    # "": nothing typed.
    ("", "en_US", "USD", "Enter an amount."),
    ("   ", "de_DE", "EUR", "Enter an amount."),
    ("", "en_US", "JPY", "Enter an amount."),
    # "2,5" in English is not 25.00.
    ("2,5", "en_US", "USD", "'2,5' is ambiguous in en_US: type 2.50"),
    ("2,5", "de_DE", "EUR", 250),
    ("2.5", "de_DE", "EUR", "'2.5' is ambiguous in de_DE: type 2,50"),
    # Junk, control characters, other digits, too long, too large.
    ("abc", "en_US", "USD", "'abc' is not a number"),
    ("12\x00", "en_US", "USD", "'12\\x00' is not a number"),
    ("NaN", "de_DE", "EUR", "'NaN' is not a number"),
    ("Infinity", "en_US", "USD", "'Infinity' is not a number"),
    ("+5", "en_US", "USD", "'+5' is not a number"),
    ("\uff11\uff12", "en_US", "JPY", "'\uff11\uff12' is not a number"),
    ("1,2,3", "en_US", "USD", "'1,2,3' is not a number in en_US (write amounts like 1,234.50)."),
    (
        "1 234,50",
        "de_DE",
        "EUR",
        "'1 234,50' is not a number in de_DE (write amounts like 1.234,50).",
    ),
    ("9" * 65, "en_US", "USD", f"'{'9' * 39}…' is too long to be an amount."),
    # How many minor units a price may have is the catalog's rule (its services refuse it).
    ("99999999999999999999", "en_US", "USD", 9999999999999999999900),
    # Plain digits, zero and the locale's grouping.
    ("0", "en_US", "USD", 0),
    ("19.99", "en_US", "USD", 1999),
    ("1,234", "en_US", "USD", 123400),
    ("1.234", "de_DE", "EUR", 123400),
    ("1.234", "en_US", "JPY", "'1.234' has decimal places, but JPY has none"),
    ("1,234", "en_US", "JPY", 1234),
    ("5,000", "en_US", "JPY", 5000),  # never 5.000 yen
    ("1,000", "en_US", "USD", 100000),  # never 1.000 dollars
    ("500", "de_DE", "JPY", 500),
]


@pytest.mark.parametrize(("text", "locale", "currency", "expected"), CASES)
def test_parse_money_input(text, locale, currency, expected):
    if isinstance(expected, int):
        assert parse_money_input(text, currency=currency, locale=locale) == expected
    else:
        with pytest.raises(AmountInputError) as refused:
            parse_money_input(text, currency=currency, locale=locale)
        assert str(refused.value) == expected


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("1,234", "en_US", "'1,234' is ambiguous in en_US: type 1234.000 or 1.234"),
        ("1.234", "de_DE", "'1.234' is ambiguous in de_DE: type 1234,000 or 1,234"),
        ("1,234.5", "en_US", 1234500),
        ("1,234", "de_DE", 1234),
        ("12.345", "en_US", 12345),
        ("0.0005", "en_US", "'0.0005' has more than 3 decimal places for KWD"),
    ],
)
def test_three_decimal_currency_refuses_a_separator_that_reads_both_ways(text, locale, expected):
    """For KWD, "1,234" in English is 1234 by grouping or 1.234 by a decimal comma: refused."""
    if isinstance(expected, int):
        assert parse_money_input(text, currency="KWD", locale=locale) == expected
    else:
        with pytest.raises(AmountInputError) as refused:
            parse_money_input(text, currency="KWD", locale=locale)
        assert str(refused.value) == expected


@pytest.mark.parametrize(
    ("text", "locale", "cents"),
    [
        ("1\u202f234,50", "fr_FR", 123450),  # CLDR's narrow no-break space
        ("1 234,50", "fr_FR", 123450),  # the space people type
        ("1'234.50", "de_CH", 123450),  # the apostrophe people type for ’
        ("26,50", "de", 2650),  # a market's bare language locale
        ("26.50", "en-US", 2650),  # BCP 47 spelling
    ],
)
def test_parse_money_input_reads_each_locale_the_way_it_is_typed(text, locale, cents):
    currency = "CHF" if locale == "de_CH" else "EUR"
    assert parse_money_input(text, currency=currency, locale=locale) == cents


def test_amount_input_error_is_a_value_error_and_setup_mistakes_are_not_input_errors():
    assert issubclass(AmountInputError, ValueError)
    with pytest.raises(ValueError, match="'XXQ' is not an ISO 4217 currency code") as bad:
        parse_money_input("1", currency="XXQ", locale="en_US")
    assert not isinstance(bad.value, AmountInputError)
    with pytest.raises(ValueError, match="'zz_ZZ' is not a known locale") as bad:
        parse_money_input("1", currency="USD", locale="zz_ZZ")
    assert not isinstance(bad.value, AmountInputError)


@pytest.mark.parametrize(
    ("cents", "currency", "locale", "shown"),
    [
        (2650, "EUR", "de_DE", "26,50\xa0€"),
        (123456, "USD", "en_US", "$1,234.56"),
        (123456, "EUR", "de", "1.234,56\xa0€"),
        (123456, "CAD", "en", "CA$1,234.56"),
        (1234, "JPY", "en_US", "¥1,234"),
        (1234, "KWD", "en", "KWD\xa01.234"),
        (5, "IQD", "en", "IQD\xa00.005"),  # ISO's 3 decimals, not CLDR's 0
        (-1999, "USD", "en_US", "-$19.99"),
    ],
)
def test_format_money(cents, currency, locale, shown):
    assert format_money(cents, currency, locale) == shown


@pytest.mark.parametrize(
    ("cents", "currency", "locale", "shown"),
    [
        (2650, "EUR", "de_DE", "26,50"),
        (123456789, "USD", "en_US", "1234567.89"),
        (5, "USD", "en_US", "0.05"),
        (1234, "KWD", "fr_FR", "1,234"),
        (1234, "JPY", "de_DE", "1234"),
        (0, "EUR", "de", "0,00"),
    ],
)
def test_format_amount_input_is_the_input_box_text(cents, currency, locale, shown):
    assert format_amount_input(cents, currency, locale) == shown


@given(
    st.integers(min_value=0, max_value=2**63 - 1),
    st.sampled_from(["USD", "EUR", "JPY", "KWD", "CAD", "CHF"]),
    st.sampled_from(["en_US", "en", "de_DE", "de", "fr_FR", "de_CH", "ja_JP", "en_IN"]),
)
def test_format_amount_input_round_trips_through_parse(cents, currency, locale):
    text = format_amount_input(cents, currency, locale)
    assert parse_money_input(text, currency=currency, locale=locale) == cents


@given(
    st.integers(min_value=0, max_value=10**15),
    st.sampled_from(["USD", "EUR", "JPY", "KWD"]),
    st.sampled_from(["en_US", "de_DE", "fr_FR"]),
)
def test_format_money_round_trips_through_parse(cents, currency, locale):
    """What customers read can be typed back: the symbol and the locale's grouping are allowed."""
    text = format_money(cents, currency, locale)
    assert parse_money_input(text, currency=currency, locale=locale) == cents


@given(st.text(max_size=30), st.sampled_from(["en_US", "de_DE"]))
def test_parse_money_input_never_fails_other_than_with_a_sentence(text, locale):
    try:
        cents = parse_money_input(text, currency="USD", locale=locale)
    except AmountInputError as exc:
        assert str(exc)
    else:
        assert isinstance(cents, int) and cents >= 0


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1,299.50", 129950), ("19.99", 1999), ("0.5", 50)],
)
def test_parse_decimal_amount_reads_spreadsheet_text_with_a_decimal_point(text, cents):
    assert parse_decimal_amount(text, "EUR") == cents


def test_parse_decimal_amount_no_longer_strips_a_decimal_comma():
    """The bug: "2,5" became 25.00 and "26,50" 2650.00; now refused, or read with a locale."""
    with pytest.raises(AmountInputError, match="'2,5' is ambiguous in en: type 2.50"):
        parse_decimal_amount("2,5", "EUR")
    with pytest.raises(AmountInputError, match="'26,50' is ambiguous in en: type 26.50"):
        parse_decimal_amount("26,50", "EUR")
    assert parse_decimal_amount("26,50", "EUR", locale="de_DE") == 2650
