"""The promotions app's refusals (API.md error codes)."""

from shop.exceptions import DomainError, ValidationFailed


class PromotionImportFailed(ValidationFailed):
    """An import or edit that cannot be used; nothing was written. `errors` lists each problem."""

    code = "promotion_invalid"

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(
            f"{len(errors)} problem(s); nothing was imported: " + "; ".join(errors[:20]),
            fields={"promotions": errors[:200]},
        )


class CouponInvalid(DomainError):
    """No promotion uses that code."""

    code = "coupon_invalid"


class CouponExpired(DomainError):
    """The code's promotion is not running now (not started, ended or paused)."""

    code = "coupon_expired"


class CouponExhausted(DomainError):
    """The code, its promotion or its budget has no uses left (for this customer)."""

    code = "coupon_exhausted"


class CouponNotEligible(DomainError):
    """The code exists and runs, but this cart does not qualify (market, channel, segment…)."""

    code = "coupon_not_eligible"
