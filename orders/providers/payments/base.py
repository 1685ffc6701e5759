"""The payment gateway interface. A Stripe adapter maps onto it one to one (docs/orders.md).

Every call carries an idempotency key: the gateway answers a repeated key with the first
answer and never charges twice. A call that gets no answer raises GatewayTimeout: the money
may or may not have moved, and only `lookup(idempotency_key=…)` can tell later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shop.money import Money


class GatewayError(Exception):
    """The gateway refused the request itself (bad reference, amount, state): a bug or a race."""


class GatewayTimeout(Exception):
    """No answer from the gateway: the outcome is unknown until a lookup says otherwise."""


@dataclass(frozen=True)
class GatewayResult:
    """The gateway's answer to one call. `approved` False carries a decline code."""

    approved: bool
    reference: str = ""
    amount: Money | None = None
    decline_code: str = ""
    message: str = ""
    fraud_score: int | None = None
    status: str = ""  # the gateway's status of the charge after the call
    raw: dict = field(default_factory=dict)  # a summary safe to store: never card data

    def summary(self) -> dict:
        data = {"approved": self.approved, "status": self.status, **self.raw}
        if self.decline_code:
            data["decline_code"] = self.decline_code
        if self.message:
            data["message"] = self.message
        if self.fraud_score is not None:
            data["fraud_score"] = self.fraud_score
        return data


class PaymentGateway(Protocol):
    name: str

    def authorize(
        self, *, amount: Money, token: str, idempotency_key: str, description: str = ""
    ) -> GatewayResult:
        """Hold `amount` on the card behind `token`. Declines are results, not errors."""
        ...

    def capture(self, *, reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Take up to the authorized amount of an authorization."""
        ...

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        """Release an authorization that was not captured."""
        ...

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Give back up to the captured amount, in one or several refunds."""
        ...

    def lookup(self, *, idempotency_key: str) -> GatewayResult | None:
        """What became of the authorization sent with this key; None: the gateway never saw it."""
        ...
