"""Writes of the platform core."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from shop.exceptions import Conflict, ValidationFailed


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
