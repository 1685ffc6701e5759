"""The buttons on an order's admin page, each a small confirm-and-submit view calling a service.

A button is shown only when django-fsm-2 lists its transition among the order's available
ones (`get_available_status_transitions()` / `get_available_payment_status_transitions()`)
and the user may do it (Operations: `orders.change_order`, as the API asks; refunds: Finance,
as the API asks). The models' transitions are `custom={"admin": False}` because they have
side effects (gateway calls, stock, e-mails): the views below call orders.services, never the
transition method and `save()` (STYLE.md section 4).

The views run outside any transaction (a service calls the gateway outside its locks). A
refusal (`DomainError`) is shown as a message and the services write nothing then. Each
confirm page carries the order's state as it was shown: if the order moved on meanwhile (a
double submit, a colleague, a webhook) nothing is done and the page says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from orders import services
from orders.api.common import can_operate_orders, can_refund
from orders.models import Order, OrderStatus
from orders.services import fraud
from orders.services.cancellation import LINES_CANCELLABLE
from shop.money import AmountInputError, Money, format_amount_input, parse_money_input


def _event_id(data: dict) -> str:
    """The event id of this confirm page: a double submit replays instead of acting twice."""
    return f"admin:{data['nonce']}"


def _capture(order: Order, user, data: dict) -> Order:
    return services.capture_payment(order=order, amount_cents=data.get("amount"), actor=user)


def _void(order: Order, user, data: dict) -> Order:
    return services.void_payment(order=order, actor=user)


def _cancel(order: Order, user, data: dict) -> Order:
    return services.cancel_order(
        order=order, actor=user, reason=data["reason"], event_id=_event_id(data)
    )


def _cancel_lines(order: Order, user, data: dict) -> Order:
    lines = [
        {"line_id": line_id, "quantity": qty} for line_id, qty in data["lines"].items() if qty
    ]
    return services.cancel_order_lines(
        order=order, lines=lines, actor=user, reason=data["reason"], event_id=_event_id(data)
    )


def _refund(order: Order, user, data: dict) -> Order:
    return services.refund_payment(
        order=order, amount_cents=data["amount"], actor=user, reason=data.get("reason", "")
    )


def _approve_review(order: Order, user, data: dict) -> Order:
    return fraud.approve_review(order=order, actor=user, event_id=_event_id(data))


def _reject_review(order: Order, user, data: dict) -> Order:
    return fraud.reject_review(
        order=order, actor=user, event_id=_event_id(data), reason=data.get("reason", "")
    )


@dataclass(frozen=True)
class OrderAction:
    """One button: the fsm transition it stands for, who may press it, what it calls."""

    name: str  # the fsm transition's name, and the URL's
    label: str
    explanation: str
    may: Callable[[object], bool]
    run: Callable[[Order, object, dict], Order]
    done: str
    asks_amount: bool = False
    asks_lines: bool = False  # a quantity per line still to ship
    asks_reason: bool = False
    reason_required: bool = False
    # A refusal of the service the state machine does not express (it is checked again there).
    also: Callable[[Order], bool] = lambda order: True
    # The fsm transition that must be allowed (default: `name`); "" when none is (the
    # service decides, `also` says when the button shows).
    transition: str | None = None

    @property
    def needs_transition(self) -> str:
        return self.name if self.transition is None else self.transition

    def default_amount(self, order: Order) -> int | None:
        if self.name == "capture":
            return order.authorized_cents
        if self.name == "refund":
            return order.captured_cents - order.refunded_total_cents
        return None


ACTIONS: dict[str, OrderAction] = {
    action.name: action
    for action in [
        OrderAction(
            name="capture",
            label=_("Capture payment"),
            explanation=_(
                "Takes the authorized money from the customer's card (all of it, or the "
                "amount you enter). Repeating a capture never charges twice."
            ),
            may=can_operate_orders,
            run=_capture,
            done=_("payment captured"),
            asks_amount=True,
            # Not on hold either: a held order is captured after its review is approved.
            also=lambda order: order.status not in (OrderStatus.CANCELLED, OrderStatus.ON_HOLD),
        ),
        OrderAction(
            name="void",
            label=_("Void authorization"),
            explanation=_(
                "Releases the hold on the customer's card; nothing can be captured afterwards. "
                "The order itself stays as it is: to stop it, cancel the order (which voids too)."
            ),
            may=can_operate_orders,
            run=_void,
            done=_("authorization voided"),
        ),
        OrderAction(
            name="cancel",
            label=_("Cancel order"),
            explanation=_(
                "Cancels what has not shipped, releases its stock, then voids the authorization "
                "or refunds the capture, and e-mails the customer. When part of the order has "
                "shipped, only the rest is cancelled and the order becomes fulfilled."
            ),
            may=can_operate_orders,
            run=_cancel,
            done=_("order cancelled"),
            asks_reason=True,
            reason_required=True,
        ),
        OrderAction(
            name="cancel_lines",
            label=_("Cancel some items"),
            explanation=_(
                "Cancels the units you enter (only units not shipped and not in a shipment "
                "being packed), releases their stock, refunds what they are worth if it was "
                "captured (their share of shipping and discounts included), and e-mails the "
                "customer. The rest of the order goes on."
            ),
            may=can_operate_orders,
            run=_cancel_lines,
            done=_("items cancelled"),
            asks_lines=True,
            asks_reason=True,
            reason_required=True,
            transition="",
            also=lambda order: (
                order.status in LINES_CANCELLABLE
                and any(line.quantity_unfulfilled for line in order.lines.all())
            ),
        ),
        OrderAction(
            name="refund",
            label=_("Refund"),
            explanation=_(
                "Gives money back to the customer's card, up to what was captured and not yet "
                "refunded. Every refund is a new one: check the amount."
            ),
            may=can_refund,
            run=_refund,
            done=_("refund made"),
            asks_amount=True,
            asks_reason=True,
        ),
        OrderAction(
            name="approve_review",
            label=_("Approve after review"),
            explanation=_("The fraud review found nothing: the order goes back to placed."),
            may=can_operate_orders,
            run=_approve_review,
            done=_("review approved"),
        ),
        OrderAction(
            name="reject_review",
            label=_("Reject after review"),
            explanation=_(
                "The fraud review failed: the order is cancelled, its stock released and the "
                "authorization voided."
            ),
            may=can_operate_orders,
            run=_reject_review,
            done=_("review rejected, order cancelled"),
            asks_reason=True,
        ),
    ]
}


def allowed_transitions(order: Order) -> set[str]:
    """Names of the transitions django-fsm-2 allows from the order's two current states."""
    return {t.name for t in order.get_available_status_transitions()} | {
        t.name for t in order.get_available_payment_status_transitions()
    }


def available_actions(order: Order, user) -> list[OrderAction]:
    """The buttons `user` sees on `order`'s page, in ACTIONS order."""
    allowed = allowed_transitions(order)
    return [
        action
        for action in ACTIONS.values()
        if (not action.needs_transition or action.needs_transition in allowed)
        and action.also(order)
        and action.may(user)
    ]


def state_token(order: Order) -> str:
    """What the confirm page showed; a different token at submit means the order moved on."""
    return ":".join(
        str(value)
        for value in (
            order.status,
            order.payment_status,
            order.authorized_cents,
            order.captured_cents,
            order.refunded_total_cents,
        )
    )


class OrderActionForm(forms.Form):
    """The confirm page's form: the order's state as shown, a page nonce, and what the action
    asks for (an amount in the order's currency, a reason)."""

    state = forms.CharField(widget=forms.HiddenInput, max_length=200)
    nonce = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args, order: Order, action: OrderAction, **kwargs):
        super().__init__(*args, **kwargs)
        self.order, self.action = order, action
        self.locale = order.market.default_locale
        self.fields["state"].initial = state_token(order)
        self.fields["nonce"].initial = uuid.uuid4().hex
        if action.asks_amount:
            default = action.default_amount(order)
            self.fields["amount"] = forms.CharField(
                label=_("Amount (%(currency)s)") % {"currency": order.currency},
                max_length=32,
                initial=format_amount_input(default, order.currency, self.locale),
                help_text=_("At most %(most)s.") % {"most": Money(default, order.currency)},
            )
        if action.asks_lines:
            for line in order.lines.all():
                if line.quantity_unfulfilled:
                    self.fields[f"line_{line.public_id}"] = forms.IntegerField(
                        label=f"{line.sku} — {line.title}",
                        min_value=0,
                        max_value=line.quantity_unfulfilled,
                        initial=0,
                        help_text=_("%(left)s of %(ordered)s not shipped.")
                        % {"left": line.quantity_unfulfilled, "ordered": line.quantity},
                    )
        if action.asks_reason:
            self.fields["reason"] = forms.CharField(
                label=_("Reason"),
                max_length=255,
                required=action.reason_required,
                help_text=_("Kept on the order's timeline."),
            )

    def clean_amount(self):
        try:
            cents = parse_money_input(
                self.cleaned_data["amount"], currency=self.order.currency, locale=self.locale
            )
        except AmountInputError as exc:
            raise forms.ValidationError(str(exc)) from None
        if cents <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        return cents

    def clean(self):
        data = super().clean()
        if self.action.asks_lines:
            data["lines"] = {
                name.removeprefix("line_"): value or 0
                for name, value in data.items()
                if name.startswith("line_")
            }
            if not self.errors and not any(data["lines"].values()):
                raise forms.ValidationError(_("Enter how many units of at least one line."))
        return data

    @property
    def is_stale(self) -> bool:
        return self.cleaned_data["state"] != state_token(self.order)
