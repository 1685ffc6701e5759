"""Amounts as people type and read them, in a market's locale, through Babel (CLDR).

Hand-written rules got this wrong: stripping every "," as a thousands separator turned a German
"26,50" into 2650.00. CLDR knows each locale's decimal mark, grouping and currency symbols, and
Babel's strict parser refuses a separator in the wrong place instead of guessing.

What we decided on top of CLDR, because a wrong price is worse than a refused one:
- A separator that could be either mark is refused with the reading we think was meant:
  "26,50" in en_US ("," is grouping there, but not in that place) says "type 26.50"; so does
  "1,234" for a 3-decimal currency such as KWD, where 1234 and 1.234 are both valid amounts.
- Scientific notation, signs other than a leading minus, other digits than 0-9, control
  characters and another currency's symbol or code are refused. The currency's own symbol (in
  that locale) or ISO code may lead or follow the amount ("$12", "26,50 €", "EUR 26,50").
- Negative amounts are refused: money typed by people here is a price, 0 or more.
Minor units come from ISO 4217 (shop.currencies), not CLDR's display digits.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
    parse_pattern,
)

from shop.currencies import ISO_CURRENCIES, is_known_currency, minor_unit_exponent

_MAX_INPUT_LENGTH = 64  # longer than any real amount; keeps messages and parsing bounded
_MINUS_SIGNS = ("-", "\u2212")  # hyphen-minus and the Unicode minus sign
_DIGITS = frozenset("0123456789")


class AmountInputError(ValueError):
    """A typed amount that cannot be read; str(error) is a sentence to show the person."""


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"{name!r} is not a known locale") from None


def is_known_locale(name: str) -> bool:
    """Whether Babel (CLDR) knows `name` ("de", "de_DE", "en-US")."""
    try:
        _locale(name)
    except ValueError:
        return False
    return True


def _check_currency(currency: str) -> int:
    if not is_known_currency(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    return minor_unit_exponent(currency)


def _shown(text: str) -> str:
    """The input as it can be printed back: control characters escaped, long input cut."""
    shown = "".join(
        char if unicodedata.category(char)[0] != "C" else f"\\x{ord(char):02x}" for char in text
    )
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _example(locale: Locale) -> str:
    """1234.50 written the locale's way ("1,234.50", "1.234,50"), for hints."""
    return format_decimal(Decimal("1234.50"), format="#,##0.00", locale=locale)


def _strip_currency(body: str, currency: str, locale: Locale) -> str:
    """Remove the currency's own symbol or ISO code (any case) from either end; longest first
    (CA$ before $)."""
    own = sorted({get_currency_symbol(currency, locale), currency}, key=len, reverse=True)
    for symbol in own:
        head, tail = body[: len(symbol)], body[-len(symbol) :]
        if head == symbol or (symbol == currency and head.upper() == currency):
            return body[len(symbol) :].strip()
        if tail == symbol or (symbol == currency and tail.upper() == currency):
            return body[: -len(symbol)].strip()
    return body


def _foreign_currency(body: str, currency: str, locale: Locale) -> str | None:
    """Another currency's symbol or ISO code left in the text, if any ("US$" for USD in en_US
    is a malformed amount rather than another currency)."""
    own = get_currency_symbol(currency, locale)
    symbols = "".join(char for char in body if unicodedata.category(char) == "Sc")
    if symbols and symbols not in own:
        return symbols
    letters = "".join(char for char in body if char.isalpha()).upper()
    return letters if letters in ISO_CURRENCIES and letters != currency else None


def _to_minor_units(value: Decimal, exponent: int) -> int | None:
    """The amount in minor units, or None when it has more decimals than the currency."""
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


def _read(body: str, locale: Locale) -> Decimal | None:
    """Babel's strict reading of digits and separators, or None when it refuses."""
    try:
        value = parse_decimal(body, locale=locale, strict=True)
    except NumberFormatError:
        return None
    return value if value.is_finite() else None


def _refuse_decimals(shown: str, currency: str, exponent: int):
    if exponent == 0:
        raise AmountInputError(f"'{shown}' has decimal places, but {currency} has none")
    raise AmountInputError(f"'{shown}' has more than {exponent} decimal places for {currency}")


def _swapped(body: str, decimal: str, group: str) -> str:
    return body.translate(str.maketrans({decimal: group, group: decimal}))


def parse_money_input(text: str, *, currency: str, locale: str) -> int:
    """Read an amount typed in `locale` into minor units of `currency`.

    Raises AmountInputError with a sentence for the person who typed it; ValueError (not the
    subclass) for an unknown currency or locale, which is the caller's mistake, not theirs.
    """
    exponent = _check_currency(currency)
    babel_locale = _locale(locale)
    locale_name = str(babel_locale)
    if not isinstance(text, str):
        raise AmountInputError("Enter an amount.")
    body = text.strip()
    if not body:
        raise AmountInputError("Enter an amount.")
    shown = _shown(text.strip())
    if len(body) > _MAX_INPUT_LENGTH:
        raise AmountInputError(f"'{shown}' is too long to be an amount.")
    if any(unicodedata.category(char)[0] == "C" for char in body):
        raise AmountInputError(f"'{shown}' is not a number")

    negative = body.startswith(_MINUS_SIGNS)
    if negative:
        body = body[1:].strip()
    body = _strip_currency(body, currency, babel_locale)
    if not negative and body.startswith(_MINUS_SIGNS):  # "$-12"
        negative, body = True, body[1:].strip()

    decimal_mark = get_decimal_symbol(babel_locale)
    group_mark = get_group_symbol(babel_locale)
    if group_mark.isspace():
        # Nobody types U+202F: any space between digits is the locale's grouping space.
        body = "".join(group_mark if char.isspace() else char for char in body)
    if group_mark == "\u2019":  # de_CH groups with ’, typed as '
        body = body.replace("'", group_mark)

    allowed = _DIGITS | {decimal_mark, group_mark, ".", ",", " "}
    if not body or not set(body) <= allowed or not set(body) & _DIGITS:
        foreign = _foreign_currency(body, currency, babel_locale)
        if foreign:
            raise AmountInputError(
                f"'{shown}' is in another currency ({foreign}); type the amount in {currency}."
            )
        if any(unicodedata.category(char) == "Sc" for char in body):  # "$12" for CAD in en
            raise AmountInputError(
                f"'{shown}' is not a number: type the amount without a currency symbol."
            )
        raise AmountInputError(f"'{shown}' is not a number")

    value = _read(body, babel_locale)
    minor = None if value is None else _to_minor_units(value, exponent)
    # The other reading of the two marks ("26,50" as 26.50 in en_US), when that is an amount.
    swapped = None
    if {decimal_mark, group_mark} <= {".", ","}:
        swapped = _read(_swapped(body, decimal_mark, group_mark), babel_locale)
    alternative = None
    if swapped is not None and -swapped.as_tuple().exponent <= exponent:
        # Only a reading with at most the currency's decimals is one a person meant: "5,000"
        # in en_US is not 5.000 dollars, while "1,000" KWD could be 1.000 dinars.
        alternative = _to_minor_units(swapped, exponent)

    if value is None:
        if swapped is not None and alternative is None:
            _refuse_decimals(shown, currency, exponent)  # "26,50" JPY: neither reading fits
        if alternative is not None:
            suggestion = format_amount_input(alternative, currency, locale_name)
            if decimal_mark in body:
                raise AmountInputError(
                    f"'{shown}' is written with '{group_mark}' as the decimal mark; "
                    f"{locale_name} uses '{decimal_mark}': type {suggestion}"
                )
            raise AmountInputError(f"'{shown}' is ambiguous in {locale_name}: type {suggestion}")
        raise AmountInputError(
            f"'{shown}' is not a number in {locale_name} (write amounts like "
            f"{_example(babel_locale)})."
        )
    if negative and value != 0:
        raise AmountInputError(f"'{shown}' is negative; prices are 0 or more.")
    if minor is None:
        _refuse_decimals(shown, currency, exponent)
    if (
        group_mark in body
        and decimal_mark not in body
        and alternative is not None
        and alternative != minor
    ):
        # Only reachable for 3-decimal currencies: "1,234" KWD is 1234 or 1.234.
        first = format_amount_input(minor, currency, locale_name)
        second = format_amount_input(alternative, currency, locale_name)
        raise AmountInputError(
            f"'{shown}' is ambiguous in {locale_name}: type {first} or {second}"
        )
    return minor


def _currency_pattern(locale: Locale, exponent: int):
    """The locale's currency pattern with exactly the ISO minor-unit digits."""
    pattern = parse_pattern(locale.currency_formats["standard"].pattern)
    pattern.frac_prec = (exponent, exponent)
    return pattern


def format_money(cents: int, currency: str, locale: str) -> str:
    """Minor units as customers read them: 2650 EUR in de_DE is "26,50 €"."""
    exponent = _check_currency(currency)
    babel_locale = _locale(locale)
    text = format_currency(
        Decimal(cents).scaleb(-exponent),
        currency,
        format=_currency_pattern(babel_locale, exponent),
        locale=babel_locale,
        currency_digits=False,
    )
    return _space_letter_symbol(text, get_currency_symbol(currency, babel_locale))


def _space_letter_symbol(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: "KWD 1.234", not "KWD1.234"."""
    at = text.find(symbol)
    if at < 0:
        return text
    end = at + len(symbol)
    if symbol[-1].isalpha() and text[end : end + 1].isdigit():
        return f"{text[:end]}\xa0{text[end:]}"
    if symbol[0].isalpha() and at and text[at - 1].isdigit():
        return f"{text[:at]}\xa0{text[at:]}"
    return text


def format_amount_input(cents: int, currency: str, locale: str) -> str:
    """Minor units as an input box shows them ("26,50" in de_DE): no symbol, no grouping.

    parse_money_input reads it back to the same minor units.
    """
    exponent = _check_currency(currency)
    pattern = "0" + ("." + "0" * exponent if exponent else "")
    return format_decimal(
        Decimal(cents).scaleb(-exponent),
        format=pattern,
        locale=_locale(locale),
        group_separator=False,
    )


# --- The locale-free forms kept for existing callers ---------------------------------------

# Spreadsheet and machine text without a stated locale: "." is the decimal mark and "," may
# only group thousands where thousands are. "2,5" is refused instead of becoming 25.00.
MACHINE_LOCALE = "en"


def parse_decimal_amount(text: str, currency: str, *, locale: str = MACHINE_LOCALE) -> int:
    """Deprecated: call parse_money_input with the locale of the market the amount is for."""
    return parse_money_input(text or "", currency=currency, locale=locale)


def format_decimal_amount(cents: int, currency: str) -> str:
    """Minor units to a plain decimal string ("19.99"), the inverse of parse_decimal_amount."""
    exponent = minor_unit_exponent(currency)
    if exponent == 0:
        return str(cents)
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 10**exponent)
    return f"{sign}{whole}.{frac:0{exponent}d}"
