"""Writes of the platform core."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode

from shop import account_mail, kill_switches, ports
from shop.exceptions import Conflict, ValidationFailed
from shop.models import KillSwitch, KillSwitchChange, KillSwitchKind, Market
from shop.tokens import revoke_all_api_tokens


class EmailAlreadyRegistered(Conflict):
    """An account with this e-mail address already exists."""

    code = "email_taken"


@transaction.atomic
def register_customer(*, email: str, password: str):
    """Create a customer account that logs in with `email` (compared case-insensitively).

    Raises ValidationFailed (fields "email" or "password", with Django's password validators'
    messages) or EmailAlreadyRegistered; the unique index settles a race between two sign-ups.
    """
    User = get_user_model()
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(
            "Enter a valid e-mail address.", fields={"email": list(exc.messages)}
        ) from None
    if User.objects.filter(email__iexact=email).exists():
        raise EmailAlreadyRegistered()
    user = User(email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            "Choose a stronger password.", fields={"password": list(exc.messages)}
        ) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise EmailAlreadyRegistered() from None
    return user


def _checked_signup(email: str, password: str):
    """The normalised e-mail and an unsaved user, or ValidationFailed — the same checks
    whatever accounts exist, so the form's errors tell nothing about them."""
    User = get_user_model()
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(
            "Enter a valid e-mail address.", fields={"email": list(exc.messages)}
        ) from None
    user = User(email=email, is_active=False)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            "Choose a stronger password.", fields={"password": list(exc.messages)}
        ) from None
    return email, user


@transaction.atomic
def sign_up_customer(*, email: str, password: str, base_url: str, next_url: str = "") -> None:
    """Start a customer account for `email` without telling the caller whether one exists.

    No account yet: a pending (inactive) one is created and the address gets an activation
    link (shop.account_mail). A pending account that was never activated (an earlier sign-up)
    takes this password and gets a fresh link; the older link stops working. An active account
    is left alone and its owner gets "you already have an account" with sign-in and reset
    links; a deactivated one gets nothing. The caller answers the same in every case.
    Raises ValidationFailed (fields "email" or "password").
    """
    User = get_user_model()
    email, new_user = _checked_signup(email, password)
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is None:
        new_user.set_password(password)
        try:
            with transaction.atomic():
                new_user.save()
        except IntegrityError:  # a concurrent sign-up for the same address won
            existing = User.objects.select_for_update().get(email__iexact=email)
        else:
            account_mail.send_activation(new_user, base_url=base_url, next_url=next_url)
            return
    if not existing.is_active and existing.last_login is None:
        existing.set_password(password)
        existing.save(update_fields=["password"])
        account_mail.send_activation(existing, base_url=base_url, next_url=next_url)
    else:
        make_password(password)  # the work a new account costs, so the timing tells nothing
        if existing.is_active:
            account_mail.send_already_registered(existing, base_url=base_url)


def _activation_user(uidb64: str, token: str, *, lock: bool = False):
    User = get_user_model()
    users = User.objects.select_for_update() if lock else User.objects
    try:
        user = users.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, User.DoesNotExist, ValidationError):
        return None
    return user if account_mail.activation_tokens.check_token(user, token) else None


def activation_link_is_valid(*, uidb64: str, token: str) -> bool:
    return _activation_user(uidb64, token) is not None


@transaction.atomic
def activate_customer(*, uidb64: str, token: str):
    """Activate the pending account an activation link names; returns the user, or raises
    ValidationFailed when the link is malformed, used or expired."""
    user = _activation_user(uidb64, token, lock=True)
    if user is None:
        raise ValidationFailed("This link is invalid, used or expired.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def reset_password(*, user, password: str):
    """Set `user`'s new password after a reset link proved they own the mailbox: every API key
    is revoked (sessions end by themselves: their hash includes the password) and the
    account's failed-login count is cleared, so a locked-out customer can sign in again."""
    user.set_password(password)
    user.save(update_fields=["password"])
    revoke_all_api_tokens(user=user, actor=user)
    AxesProxyHandler.reset_attempts(username=user.email)
    return user


def check_kill_switch_target(kind: str, target) -> str:
    """The normalised target for `kind` (market codes upper-case); raises ValidationFailed."""
    if kind not in KillSwitchKind.values:
        raise ValidationFailed(
            f"Unknown kind of kill switch: {str(kind)[:40]}.", fields={"kind": ["Unknown."]}
        )
    target = str(target or "").strip()
    if kind == KillSwitchKind.CHECKOUT:
        return ""
    if kind == KillSwitchKind.MARKET:
        target = target.upper()
    if not target or len(target) > 64:
        raise ValidationFailed(
            "Name what to switch off (1 to 64 characters).", fields={"target": ["Required."]}
        )
    known = (
        [m.code for m in Market.objects.all()]
        if kind == KillSwitchKind.MARKET
        else [code for code, _label in ports.kill_switch_targets(kind) or []]
    )
    if (
        known
        and target not in known
        and not KillSwitch.objects.filter(kind=kind, target=target).exists()
    ):
        raise ValidationFailed(
            f"No {KillSwitchKind(kind).label.lower()} is called {target}.",
            fields={"target": [f"One of: {', '.join(known)}."]},
        )
    return target


def set_kill_switch(*, kind: str, target: str = "", is_off: bool, reason: str, actor=None):
    """Switch something off (or back on) for every web worker, recording who, when and why.

    Takes effect for every process when this commits (the cached set is dropped; its TTL is
    one second anyway). Raises ValidationFailed for an unknown kind or target or a missing
    reason; nothing is written then. Setting the state it already has still records why.
    """
    target = check_kill_switch_target(kind, target)
    reason = str(reason or "").strip()
    if not reason or len(reason) > 255:
        raise ValidationFailed(
            "Say why (1 to 255 characters): it is kept in the switch's history.",
            fields={"reason": ["Required."]},
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    with transaction.atomic():
        # get_or_create survives two first flips at once (the loser reads the row, locked).
        switch, _created = KillSwitch.objects.select_for_update().get_or_create(
            kind=kind,
            target=target,
            defaults={"is_off": bool(is_off), "reason": reason, "changed_by": user},
        )
        switch.is_off, switch.reason, switch.changed_by, switch.changed_at = (
            bool(is_off),
            reason,
            user,
            now,
        )
        switch.save()
        KillSwitchChange.objects.create(
            switch=switch, is_off=bool(is_off), reason=reason, changed_by=user, changed_at=now
        )
        # Dropped now (this process, tests) and again at commit (a worker that cached the
        # old set in between reads the new one then).
        kill_switches.forget_switches()
        transaction.on_commit(kill_switches.forget_switches)
    return switch
