"""Checkout steps: contact e-mail, shipping address, shipping method, the storefront's card
on file, and the step log.

Each step can be revisited; each setter validates its own input and leaves the cart
unchanged on a refusal. `update_checkout` sets several at once, all or nothing (the API's
PUT /carts/{id}/checkout).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from orders import conf, switches
from orders.addresses import validate_address
from orders.exceptions import (
    CheckoutIncomplete,
    InvalidAddress,
    InvalidCard,
    InvalidEmail,
    InvalidShippingMethod,
)
from orders.models import Cart, CartStatus, CheckoutStep, CheckoutStepEvent, ShippingMethod
from orders.pricing import load_cart_lines, price_cart
from orders.services._common import lock_cart
from orders.services.cart import _open
from shop.exceptions import DomainError
from shop.text import text_problem

_UNSET = object()
_MAX_METHOD_CODE = ShippingMethod._meta.get_field("code").max_length
_MAX_CARD_TOKEN = Cart._meta.get_field("card_token").max_length
_MAX_SESSION_KEY = Cart._meta.get_field("card_session_key").max_length
# The cart's columns that hold the card on file; cleared when the cart becomes an order.
CARD_FIELDS = ("card_token", "card_last4", "card_session_key")


def _clean_email(email) -> str:
    value = (email if isinstance(email, str) else "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidEmail(
            "Enter a valid e-mail address.", fields={"email": ["Enter a valid e-mail address."]}
        ) from None
    if len(value) > 254:
        raise InvalidEmail("That e-mail address is too long.", fields={"email": ["Too long."]})
    return value


def _shipping_codes(cart: Cart) -> list[str]:
    """Codes of the methods that ship the cart's lines to its address (no method chosen).

    The lines are read once per locked cart and kept on it (Cart.lines_read), so the
    answer to the request prices the same lines without reading them again.
    """
    if cart.lines_read is None:
        cart.lines_read = load_cart_lines(cart)
    chosen, cart.shipping_method = cart.shipping_method, None
    try:
        pricing = price_cart(cart=cart, lines=cart.lines_read, with_tax=False)
    finally:
        cart.shipping_method = chosen
    return [option.code for option in pricing.quote.shipping_options]


def _apply_method(cart: Cart, code) -> None:
    if (
        not isinstance(code, str | int)
        or len(str(code)) > _MAX_METHOD_CODE
        or text_problem(str(code))
    ):
        # Not a code any method could have (a NUL would be a database error, not a refusal).
        codes = _shipping_codes(cart) if cart.shipping_address else []
        raise InvalidShippingMethod(
            "Choose a shipping method from the list.",
            fields={"shipping_method": [f"Choose one of: {', '.join(codes) or 'none'}."]},
        )
    switches.refuse_switched_off_shipping(code)
    if not cart.shipping_address:
        raise CheckoutIncomplete(
            "Enter the shipping address first.", fields={"shipping_address": ["Required."]}
        )
    method = ShippingMethod.objects.filter(code=str(code), is_active=True).first()
    codes = _shipping_codes(cart)
    if method is None or method.code not in codes:
        raise InvalidShippingMethod(
            f"'{code}' does not ship to this address.",
            fields={"shipping_method": [f"Choose one of: {', '.join(codes) or 'none'}."]},
        )
    cart.shipping_method = method


def _save_entering(cart: Cart, fields: list[str], enter_step: str | None) -> None:
    """Save `fields` of the locked cart, logging the step the buyer goes to next (if given)
    in the same transaction: one lock, not a second transaction for the step log."""
    if enter_step is not None and _enter_step(cart, enter_step):
        fields = [*fields, "checkout_step"]
    cart.save(update_fields=[*fields, "updated_at"])


def _save_step(cart: Cart, fields: list[str], enter_step, change) -> Cart:
    """Apply `change` (validates, sets `fields` on the cart it is given; raises to refuse)
    and save it, moving the buyer to `enter_step` (None: no move; a callable: the step
    for the changed cart). Returns the saved cart.

    On PostgreSQL, while the cart's row is as `cart` was read (its updated_at: every write
    to a cart or its lines sets it), the change is checked on that read and written with
    the step's log in one statement: a step was five round trips (BEGIN, SELECT … FOR
    UPDATE, INSERT, UPDATE, COMMIT), two to four times a checkout. If the row moved on
    meanwhile (another tab, a line added), nothing is written by it and the change is made
    again on the row read under its lock, as it always is elsewhere."""
    if isinstance(enter_step, str):
        _check_step(enter_step)
    if connection.vendor == "postgresql" and cart.pk and cart.is_open:
        draft = copy.copy(cart)  # the caller's cart stays as read if the change is refused
        try:
            change(draft)
        except DomainError:
            # Perhaps refused for what the read said (no address yet, say) while the row has
            # moved on: a refusal is decided on the row as it is, under its lock.
            return _save_step_locked(cart, fields, enter_step, change)
        step = enter_step(draft) if callable(enter_step) else enter_step
        if _write_if_unchanged(draft, fields, step, read_at=cart.updated_at):
            return draft
    return _save_step_locked(cart, fields, enter_step, change)


@transaction.atomic
def _save_step_locked(cart: Cart, fields: list[str], enter_step, change) -> Cart:
    cart = _open(cart)
    change(cart)
    step = enter_step(cart) if callable(enter_step) else enter_step
    _save_entering(cart, fields, step)
    return cart


def _write_if_unchanged(cart: Cart, fields: list[str], step: str | None, *, read_at) -> bool:
    """Write `fields` of `cart` and move it to `step` (logging the step it leaves and the
    one it enters) in one statement, if its row is still open and last written at
    `read_at`. False, having written nothing, otherwise."""
    now = timezone.now()
    table = connection.ops.quote_name(Cart._meta.db_table)
    assignments, params = [], []
    for name in fields:
        field = Cart._meta.get_field(name)
        assignments.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(field.get_db_prep_save(getattr(cart, field.attname), connection))
    events = []
    if step is not None and step != cart.checkout_step:
        assignments.append("checkout_step = %s")
        params.append(step)
        if cart.checkout_step:
            events.append((cart.checkout_step, CheckoutStepEvent.Kind.LEAVE.value))
        events.append((step, CheckoutStepEvent.Kind.ENTER.value))
    assignments.append("updated_at = %s")
    params += [now, cart.pk, CartStatus.OPEN.value, read_at]
    log = ""
    if events:
        values = ", ".join(["(%s, %s)"] * len(events))
        events_table = CheckoutStepEvent._meta.db_table
        log = (
            f", logged AS (INSERT INTO {events_table} (cart_id, step, kind, at)"
            f" SELECT moved.id, e.step, e.kind, %s FROM moved, (VALUES {values}) AS e(step, kind))"
        )
        params += [now, *(value for event in events for value in event)]
    sql = (
        f"WITH moved AS (UPDATE {table} SET {', '.join(assignments)}"  # noqa: S608 - our names
        " WHERE id = %s AND status = %s AND updated_at = %s RETURNING id)"
        f"{log} SELECT count(*) FROM moved"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (written,) = cursor.fetchone()
    if written:
        cart.updated_at = now
        if step is not None:
            cart.checkout_step = step
    return bool(written)


def set_checkout_contact(*, cart: Cart, email: str, enter_step: str | None = None) -> Cart:
    """Set the e-mail the order confirmation goes to; `enter_step`: log that the buyer goes
    on to that step (record_checkout_step). Raises CartNotOpen, InvalidEmail."""
    email = _clean_email(email)

    def change(cart: Cart) -> None:
        cart.email = email

    return _save_step(cart, ["email"], enter_step, change)


def set_shipping_address(*, cart: Cart, address: Mapping, enter_step: str | None = None) -> Cart:
    """Validate `address` for its country (and the market's countries) and store it.

    A chosen shipping method that does not ship to the new address is cleared. `enter_step`
    as for set_checkout_contact. Raises CartNotOpen, InvalidAddress (fields name each
    problem).
    """

    def change(cart: Cart) -> None:
        cart.shipping_address = validate_address(address, countries=list(cart.market.countries))
        if cart.shipping_method is not None and (
            cart.shipping_method.code not in _shipping_codes(cart)
        ):
            cart.shipping_method = None

    return _save_step(cart, ["shipping_address", "shipping_method"], enter_step, change)


def set_shipping_method(*, cart: Cart, code: str, enter_step: str | None = None) -> Cart:
    """Choose a shipping method offered for the cart's address and contents.

    `enter_step` as for set_checkout_contact. Raises CartNotOpen, CheckoutIncomplete (no
    address yet), InvalidShippingMethod.
    """
    return _save_step(
        cart, ["shipping_method"], enter_step, lambda cart: _apply_method(cart, code)
    )


def set_checkout_card(
    *, cart: Cart, token: str, last4: str, session_key: str, enter_step: str | None = None
) -> Cart:
    """Keep the card chosen on the storefront's payment step: the gateway's `token` and the
    `last4` digits to show, for the browser session `session_key` only (card_on_file). The
    number itself never reaches here. `enter_step` as for set_checkout_contact.

    Kept on the cart, the card is written with the step's log in one statement, where the
    session kept it in a write (and a commit) of its own and dropped it in another after
    placing. Raises CartNotOpen, InvalidCard."""
    problems = {}
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_CARD_TOKEN or text_problem(token):
        problems["token"] = ["A payment token is required."]
    if not isinstance(last4, str) or not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
        problems["last4"] = ["The last four digits of the card are required."]
    if not isinstance(session_key, str) or not 0 < len(session_key) <= _MAX_SESSION_KEY:
        problems["session_key"] = ["A browser session is required."]
    if problems:
        raise InvalidCard("Enter the card details again.", fields=problems)

    def change(cart: Cart) -> None:
        cart.card_token, cart.card_last4, cart.card_session_key = token, last4, session_key

    return _save_step(cart, list(CARD_FIELDS), enter_step, change)


def forget_stale_cards(*, now=None, older_than: timedelta | None = None) -> int:
    """Clear the card on file of open carts nobody has touched for `older_than` (default
    orders.conf.card_on_file_ttl(), a day): a gateway token is not kept longer than a
    checkout needs it. Their buyer enters the card again on the payment step. One UPDATE
    (touching `updated_at`, as every write to a cart does); returns the carts cleared.
    Celery beat runs it hourly (orders.tasks.forget_stale_cards)."""
    now = now or timezone.now()
    cutoff = now - (older_than if older_than is not None else conf.card_on_file_ttl())
    return (
        Cart.objects.filter(status=CartStatus.OPEN, updated_at__lt=cutoff)
        .exclude(card_token="")
        .update(card_token="", card_last4="", card_session_key="", updated_at=now)
    )


def update_checkout(
    *, cart: Cart, email=_UNSET, shipping_address=_UNSET, shipping_method=_UNSET
) -> Cart:
    """Set e-mail, address and method together, all or nothing (fields left out stay), and
    log the step the buyer is now at (review with a method, else shipping).

    Errors of e-mail and address are reported together. Raises CartNotOpen, InvalidEmail,
    InvalidAddress, CheckoutIncomplete, InvalidShippingMethod.
    """

    def change(cart: Cart) -> None:
        fields: dict[str, list[str]] = {}
        if email is not _UNSET:
            try:
                cart.email = _clean_email(email)
            except InvalidEmail as exc:
                fields.update(exc.fields)
        if shipping_address is not _UNSET:
            try:
                cart.shipping_address = validate_address(
                    shipping_address, countries=list(cart.market.countries)
                )
            except InvalidAddress as exc:
                fields.update({f"shipping_address.{k}": v for k, v in exc.fields.items()})
        if fields:
            raise CheckoutIncomplete("Check the highlighted fields.", fields=fields)
        if shipping_method not in (_UNSET, None, ""):
            _apply_method(cart, shipping_method)
        elif cart.shipping_method is not None and (
            cart.shipping_method.code not in _shipping_codes(cart)
        ):
            cart.shipping_method = None

    def step_now(cart: Cart) -> str:
        return CheckoutStep.REVIEW if cart.shipping_method_id else CheckoutStep.SHIPPING

    return _save_step(cart, ["email", "shipping_address", "shipping_method"], step_now, change)


def record_checkout_step(*, cart: Cart, step: str) -> None:
    """Log that the buyer left their current step and entered `step` (a CheckoutStep).

    Re-entering the current step logs nothing. Locks the cart so two tabs don't interleave.
    """
    _check_step(step)
    if cart.checkout_step == step:
        # Already there as the caller read the cart (a reload, or the POST that led here
        # logged it): no lock, no transaction (not even an empty BEGIN/COMMIT). A stale read
        # only costs the locked check.
        return
    if connection.vendor == "postgresql":
        _record_step_in_one_statement(cart, step)
    else:
        _record_step_locked(cart, step)


# The locked read, the step's update and both events as one statement: a storefront step page
# logged its step with five round trips (BEGIN, SELECT … FOR UPDATE, INSERT, UPDATE, COMMIT),
# three times a checkout. `prior` locks the row and reads the step the buyer leaves (after
# waiting, the latest one: a second tab's step is left, not lost); nothing is written when the
# buyer is already on `step`.
_RECORD_STEP_SQL = f"""
WITH prior AS (
    SELECT id, checkout_step FROM {Cart._meta.db_table} WHERE id = %(cart)s FOR UPDATE
), moved AS (
    UPDATE {Cart._meta.db_table} AS c SET checkout_step = %(step)s, updated_at = %(now)s
    FROM prior WHERE c.id = prior.id AND prior.checkout_step <> %(step)s
    RETURNING prior.checkout_step AS left_step
)
INSERT INTO {CheckoutStepEvent._meta.db_table} (cart_id, step, kind, at)
SELECT %(cart)s, left_step, %(leave)s, %(now)s FROM moved WHERE left_step <> ''
UNION ALL
SELECT %(cart)s, %(step)s, %(enter)s, %(now)s FROM moved
"""


def _record_step_in_one_statement(cart: Cart, step: str) -> None:
    now = timezone.now()
    params = {
        "cart": cart.pk,
        "step": step,
        "now": now,
        "leave": CheckoutStepEvent.Kind.LEAVE.value,
        "enter": CheckoutStepEvent.Kind.ENTER.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_STEP_SQL, params)
    cart.checkout_step, cart.updated_at = step, now


@transaction.atomic
def _record_step_locked(cart: Cart, step: str) -> None:
    cart = lock_cart(cart)
    if _enter_step(cart, step):
        cart.save(update_fields=["checkout_step", "updated_at"])


def _check_step(step: str) -> None:
    if step not in CheckoutStep.values:
        raise CheckoutIncomplete(f"Unknown checkout step: {step}.", fields={"step": [str(step)]})


def _enter_step(cart: Cart, step: str) -> bool:
    """Log leaving the locked cart's step and entering `step`; set it on `cart` (the caller
    saves). False, logging nothing, when the buyer is already there."""
    if cart.checkout_step == step:
        return False
    now = timezone.now()
    events = []
    if cart.checkout_step:
        events.append(
            CheckoutStepEvent(
                cart=cart, step=cart.checkout_step, kind=CheckoutStepEvent.Kind.LEAVE, at=now
            )
        )
    events.append(
        CheckoutStepEvent(cart=cart, step=step, kind=CheckoutStepEvent.Kind.ENTER, at=now)
    )
    CheckoutStepEvent.objects.bulk_create(events)
    cart.checkout_step = step
    return True
