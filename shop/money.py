"""Money as integer minor units plus an ISO 4217 currency. No floats anywhere.

Reading and writing amounts in a locale lives in shop.money_locale (Babel), the currency table
in shop.currencies; both are re-exported here so callers import money from one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext

from shop.currencies import (  # noqa: F401 - re-exported
    CURRENCY_SYMBOLS,
    ISO_CURRENCIES,
    is_known_currency,
    minor_unit_exponent,
)
from shop.money_locale import (  # noqa: F401 - re-exported
    MACHINE_LOCALE,
    AmountInputError,
    format_amount_input,
    format_decimal_amount,
    format_money,
    is_known_locale,
    parse_decimal_amount,
    parse_money_input,
)


class CurrencyMismatch(ValueError):
    pass


def allocate(total_cents: int, weights: Sequence[int]) -> list[int]:
    """Split `total_cents` over `weights` so the parts always sum exactly to the total.

    Largest remainder: every part gets the floor of its exact share, then the cents left over
    go one each to the parts with the largest remainders, earlier index first on a tie. So each
    part is within one minor unit of its exact share. All-zero weights split equally; a
    negative total splits like its absolute value, negated.
    """
    if isinstance(total_cents, bool) or not isinstance(total_cents, int):
        raise TypeError("allocate splits integer minor units")
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights):
        raise ValueError("allocation weights are integers, 0 or more")
    if total_cents < 0:
        return [-part for part in allocate(-total_cents, weights)]
    if not any(weights):
        weights = [1] * len(weights)
    weight_sum = sum(weights)
    shares = [divmod(total_cents * w, weight_sum) for w in weights]
    parts = [floor for floor, _ in shares]
    left_over = total_cents - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for index in by_remainder[:left_over]:
        parts[index] += 1
    return parts


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units. Equal only to the same amount in the same currency; ordering,
    adding or subtracting across currencies raises CurrencyMismatch."""

    cents: int
    currency: str

    def __post_init__(self):
        if not _is_int(self.cents):
            raise TypeError("Money amounts are integer minor units")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __radd__(self, other) -> Money:
        # sum() starts from the int 0; anything else is a mistake worth an error.
        if _is_int(other) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def __mul__(self, quantity: int) -> Money:
        """Exact: a unit price times a whole quantity. Use apply_rate for fractions."""
        if not _is_int(quantity):
            return NotImplemented
        return Money(self.cents * quantity, self.currency)

    __rmul__ = __mul__

    def apply_rate(self, rate: Decimal | int, rounding: str = ROUND_HALF_UP) -> Money:
        """This amount times `rate`, rounded once to whole minor units with `rounding`.

        `rate` is a Decimal fraction (Decimal("0.19") for 19%) or an int in basis points
        (1900 for 19%). Floats are refused: 0.1 is not one tenth in binary.
        """
        if _is_int(rate):
            rate = Decimal(rate).scaleb(-4)
        elif not isinstance(rate, Decimal) or not rate.is_finite():
            raise TypeError("a rate is a finite Decimal or an int of basis points")
        with localcontext() as context:
            # Enough digits that the product is exact; rounding happens once, in quantize.
            context.prec = len(str(abs(self.cents))) + len(rate.as_tuple().digits) + 2
            context.traps[Inexact] = True
            exact = Decimal(self.cents) * rate
            context.traps[Inexact] = False  # rounding to whole minor units is the point
            rounded = exact.quantize(Decimal(1), rounding=rounding)
        return Money(int(rounded), self.currency)

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split over `weights` by largest remainder; the parts sum exactly to this amount."""
        return [Money(part, self.currency) for part in allocate(self.cents, weights)]

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.cents < other.cents

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.cents <= other.cents

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.cents > other.cents

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.cents >= other.cents

    def as_dict(self) -> dict:
        return {"amount": self.cents, "currency": self.currency}

    def format(self, locale: str) -> str:
        """As a reader in `locale` expects it: Money(2650, "EUR").format("de_DE") == "26,50 €"."""
        return format_money(self.cents, self.currency, locale)

    def __str__(self) -> str:
        amount = format_decimal_amount(self.cents, self.currency)
        whole, _, frac = amount.partition(".")
        grouped = f"{int(whole):,}" if not whole.startswith("-") else f"-{int(whole[1:]):,}"
        text = f"{grouped}.{frac}" if frac else grouped
        symbol = CURRENCY_SYMBOLS.get(self.currency)
        return f"{symbol}{text}" if symbol else f"{text} {self.currency}"


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """The total of `amounts`, Money.zero(currency) when there are none."""
    return sum(amounts, Money.zero(currency))


def zero(currency: str) -> Money:
    return Money.zero(currency)
