"""The risk score of an order at placement: a pure function of what was seen (docs/orders.md,
"Fraud review").

Each rule that fires adds points and a reason; the score is their sum, capped at 100. An
order scoring above its market's threshold (FraudThreshold, 70 by default) waits on hold for
Operations. The rules and their points:

| rule | fires when | points |
| --- | --- | --- |
| velocity_email | other orders from the same e-mail in the last hour: 2-4 / 5+ | 10 / 25 |
| velocity_ip | other orders from the same IP address in the last hour: 3-9 / 10+ | 10 / 25 |
| velocity_card | other orders with the same card in the last hour: 2-4 / 5+ | 15 / 30 |
| many_low_value | 3+ orders under LOW_VALUE_CENTS in the last hour, same e-mail/IP/card | 20 |
| country_mismatch | billing and shipping countries differ | 15 |
| above_history | a returning buyer's order is over 5 times their average order | 20 |
| first_large_order | no order history and the order is at least LARGE_FIRST_ORDER_CENTS | 10 |
| gateway_score | the payment gateway's own fraud score (0-100), weighted 0.8 | 0-80 |

The dummy gateway's `tok_risky` scores 92 (73 points): on hold with the default threshold.
The last-hour counts are counted up to VELOCITY_COUNT_CAP (the rules need 10 at most); a
reason then says "25 or more".
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_SCORE = 100
LOW_VALUE_CENTS = 1_000
VELOCITY_COUNT_CAP = 25  # the last-hour counts stop here (orders.services.fraud)
LARGE_FIRST_ORDER_CENTS = 100_000
HISTORY_MULTIPLE = 5
GATEWAY_WEIGHT_PERCENT = 80


@dataclass(frozen=True)
class RiskSignals:
    """What placement knows. Counts are of *other* orders (this one excluded); the last-hour
    ones at most VELOCITY_COUNT_CAP."""

    total_cents: int
    orders_last_hour_same_email: int = 0
    orders_last_hour_same_ip: int = 0
    orders_last_hour_same_card: int = 0
    low_value_orders_last_hour: int = 0
    billing_country: str = ""
    shipping_country: str = ""
    previous_orders: int = 0
    previous_average_cents: int = 0
    gateway_score: int | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    detail: str

    def as_dict(self) -> dict:
        return {"code": self.code, "points": self.points, "detail": self.detail}


@dataclass(frozen=True)
class RiskScore:
    score: int
    reasons: list[Reason] = field(default_factory=list)

    def holds_at(self, threshold: int) -> bool:
        """Above the threshold: the order waits for a review."""
        return self.score > threshold


def _counted(count: int) -> str:
    """A last-hour count as a reason says it: the cap means "at least"."""
    return f"{VELOCITY_COUNT_CAP} or more" if count >= VELOCITY_COUNT_CAP else str(count)


def _tiered(count: int, low: int, high: int, points: tuple[int, int]) -> int:
    if count >= high:
        return points[1]
    if count >= low:
        return points[0]
    return 0


def score_order(signals: RiskSignals) -> RiskScore:
    """The score and the reasons behind it, rule by rule (module docstring)."""
    reasons: list[Reason] = []

    def add(code: str, points: int, detail: str) -> None:
        if points:
            reasons.append(Reason(code, points, detail))

    s = signals
    add(
        "velocity_email",
        _tiered(s.orders_last_hour_same_email, 2, 5, (10, 25)),
        f"{_counted(s.orders_last_hour_same_email)} other orders from this e-mail "
        "in the last hour",
    )
    add(
        "velocity_ip",
        _tiered(s.orders_last_hour_same_ip, 3, 10, (10, 25)),
        f"{_counted(s.orders_last_hour_same_ip)} other orders from this IP address "
        "in the last hour",
    )
    add(
        "velocity_card",
        _tiered(s.orders_last_hour_same_card, 2, 5, (15, 30)),
        f"{_counted(s.orders_last_hour_same_card)} other orders with this card in the last hour",
    )
    add(
        "many_low_value",
        20 if s.low_value_orders_last_hour >= 3 else 0,
        f"{_counted(s.low_value_orders_last_hour)} small orders "
        f"(under {LOW_VALUE_CENTS / 100:.2f}) from this buyer, IP or card in the last hour",
    )
    billing, shipping = s.billing_country.upper(), s.shipping_country.upper()
    add(
        "country_mismatch",
        15 if billing and shipping and billing != shipping else 0,
        f"billing country {billing} differs from shipping country {shipping}",
    )
    if s.previous_orders:
        add(
            "above_history",
            20 if s.total_cents > HISTORY_MULTIPLE * max(s.previous_average_cents, 1) else 0,
            f"over {HISTORY_MULTIPLE} times this buyer's average order of "
            f"{s.previous_average_cents / 100:.2f} ({s.previous_orders} before)",
        )
    else:
        add(
            "first_large_order",
            10 if s.total_cents >= LARGE_FIRST_ORDER_CENTS else 0,
            "a large first order",
        )
    if s.gateway_score is not None:
        gateway = max(0, min(int(s.gateway_score), 100))
        add(
            "gateway_score",
            gateway * GATEWAY_WEIGHT_PERCENT // 100,
            f"the payment gateway scored the payment {gateway}/100",
        )
    return RiskScore(min(MAX_SCORE, sum(r.points for r in reasons)), reasons)
