"""The dummy gateway: API.md's test tokens, with its ledger in the database (DummyCharge).

The ledger lives in PostgreSQL so every gunicorn worker and Celery process sees one gateway,
and so `tok_timeout` can authorize, "lose" the answer and still be found by a later lookup.
Each call commits its own ledger write, like a remote service whose state is not rolled back
with ours.
"""

from __future__ import annotations

import re
import secrets
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from orders.models import DummyCharge, DummyOperation
from orders.providers.payments.base import GatewayError, GatewayResult, GatewayTimeout
from shop.money import Money


@dataclass(frozen=True)
class TestCard:
    token: str
    number: str
    outcome: str


TEST_CARDS = [
    TestCard("tok_visa", "4242424242424242", "authorized, capturable"),
    TestCard("tok_declined", "4000000000000002", "declined"),
    TestCard("tok_timeout", "4000000000000119", "times out after authorizing"),
    TestCard("tok_timeout_nocharge", "4000000000000127", "times out, nothing authorized"),
    TestCard("tok_risky", "4100000000000019", "authorized with a high fraud score"),
]
TOKENS_BY_NUMBER = {card.number: card.token for card in TEST_CARDS}
KNOWN_TOKENS = frozenset(card.token for card in TEST_CARDS)
LOW_RISK, HIGH_RISK = 5, 92


def token_for_card_number(number: str) -> str | None:
    """The test token for a card number as typed on the storefront form (spaces allowed)."""
    digits = re.sub(r"[\s-]", "", number or "")
    return TOKENS_BY_NUMBER.get(digits)


def _result(charge: DummyCharge) -> GatewayResult:
    approved = charge.status != DummyCharge.Status.DECLINED
    return GatewayResult(
        approved=approved,
        reference=charge.reference,
        amount=Money(charge.amount_cents, charge.currency),
        decline_code="" if approved else "card_declined",
        message="" if approved else "The card was declined.",
        fraud_score=charge.fraud_score if approved else None,
        status=charge.status,
        raw={"gateway": "dummy", "reference": charge.reference},
    )


class DummyGateway:
    name = "dummy"

    def authorize(
        self, *, amount: Money, token: str, idempotency_key: str, description: str = ""
    ) -> GatewayResult:
        if token == "tok_timeout_nocharge":
            raise GatewayTimeout("The gateway did not answer (nothing was authorized).")
        if token not in KNOWN_TOKENS:
            return GatewayResult(
                approved=False,
                decline_code="invalid_token",
                message="The card details are not valid.",
                status="declined",
                raw={"gateway": "dummy"},
            )
        status = (
            DummyCharge.Status.DECLINED
            if token == "tok_declined"
            else DummyCharge.Status.AUTHORIZED
        )
        # One INSERT, committed on its own like a remote gateway's record; inside a caller's
        # transaction (tests) a savepoint keeps a repeated key from spoiling it.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        try:
            with guard:
                charge = DummyCharge.objects.create(
                    reference=f"dch_{secrets.token_hex(10)}",
                    idempotency_key=idempotency_key,
                    token=token,
                    status=status,
                    amount_cents=amount.cents,
                    currency=amount.currency,
                    fraud_score=HIGH_RISK if token == "tok_risky" else LOW_RISK,
                )
        except IntegrityError:  # a repeated key: answer as the first call did (no 2nd charge)
            return self._replay(DummyCharge.objects.get(idempotency_key=idempotency_key), amount)
        if token == "tok_timeout":
            raise GatewayTimeout("The gateway did not answer (it did authorize).")
        return _result(charge)

    def _replay(self, charge: DummyCharge, amount: Money) -> GatewayResult:
        if (charge.amount_cents, charge.currency) != (amount.cents, amount.currency):
            raise GatewayError("Idempotency key reused with a different amount.")
        return _result(charge)

    def lookup(self, *, idempotency_key: str) -> GatewayResult | None:
        charge = DummyCharge.objects.filter(idempotency_key=idempotency_key).first()
        return _result(charge) if charge else None

    def capture(self, *, reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        return self._operate(
            "capture",
            reference,
            amount,
            idempotency_key,
            (DummyCharge.Status.AUTHORIZED, DummyCharge.Status.CAPTURED),
        )

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        return self._operate(
            "void", reference, None, idempotency_key, DummyCharge.Status.AUTHORIZED
        )

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        return self._operate(
            "refund", reference, amount, idempotency_key, DummyCharge.Status.CAPTURED
        )

    def _operate(self, kind, reference, amount, idempotency_key, needs) -> GatewayResult:
        with transaction.atomic():
            charge = DummyCharge.objects.select_for_update().filter(reference=reference).first()
            if charge is None:
                raise GatewayError(f"No such charge: {reference}.")
            done = DummyOperation.objects.filter(idempotency_key=idempotency_key).first()
            if done is not None:
                return _result(charge)
            cents = charge.amount_cents if amount is None else amount.cents
            if amount is not None and amount.currency != charge.currency:
                raise GatewayError("Currency differs from the charge's.")
            self._apply(kind, charge, cents, needs)
            charge.save(update_fields=["status", "captured_cents", "refunded_cents", "updated_at"])
            DummyOperation.objects.create(
                idempotency_key=idempotency_key, charge=charge, kind=kind, amount_cents=cents
            )
            return _result(charge)

    @staticmethod
    def _apply(kind: str, charge: DummyCharge, cents: int, needs: str) -> None:
        if charge.status not in (needs if isinstance(needs, tuple) else (needs,)):
            raise GatewayError(f"Cannot {kind} a {charge.status} charge.")
        if cents <= 0:
            raise GatewayError("The amount must be positive.")
        if kind == "capture":
            # Several partial captures against one authorization (capture on shipment).
            if charge.captured_cents + cents > charge.amount_cents:
                raise GatewayError("Cannot capture more than was authorized.")
            charge.captured_cents += cents
            charge.status = DummyCharge.Status.CAPTURED
        elif kind == "void":
            charge.status = DummyCharge.Status.VOIDED
        else:
            if charge.refunded_cents + cents > charge.captured_cents:
                raise GatewayError("Cannot refund more than was captured.")
            charge.refunded_cents += cents
            if charge.refunded_cents == charge.captured_cents:
                charge.status = DummyCharge.Status.REFUNDED
