"""Platform core: the user model (e-mail login), markets and sales channels."""

import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.money import is_known_currency


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Customers and staff alike log in with their e-mail address."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email


def validate_currency(value: str) -> None:
    if not is_known_currency(value):
        raise ValidationError(
            _("'%(value)s' is not an ISO 4217 currency code."), params={"value": value}
        )


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("'%(value)s' is not a known time zone."), params={"value": value})


class Market(models.Model):
    """Where we sell: a set of countries sharing one currency, time zone and default locale."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    countries = models.JSONField(default=list, help_text=_("ISO 3166 alpha-2 codes"))
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    default_locale = models.CharField(max_length=10, default="en")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return f"{self.code} ({self.currency})"


class Channel(models.Model):
    class Kind(models.TextChoices):
        WEB = "web", _("Web storefront")
        IOS = "ios", _("iOS app")
        POS = "pos", _("Point of sale")
        MARKETPLACE = "marketplace", _("Marketplace")

    code = models.CharField(max_length=20, unique=True, choices=Kind.choices)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class IdempotencyStatus(models.TextChoices):
    IN_FLIGHT = "in_flight", _("In flight")
    COMPLETE = "complete", _("Complete")


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a client sent to one API operation, and the answer it got.

    Written only by shop.idempotency: claimed `in_flight` in its own committed transaction
    before the operation runs, then `complete` with the stored response, so a replay gets
    the same answer and a concurrent duplicate sees the claim.
    """

    scope = models.CharField(max_length=64, help_text=_("The operation, e.g. orders.create"))
    owner = models.CharField(max_length=64, help_text=_("user:<id> or anonymous"))
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(
        max_length=64, help_text=_("sha256 of method, path and canonical body")
    )
    status = models.CharField(max_length=16, choices=IdempotencyStatus.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "owner", "key"], name="idempotency_key_unique"
            )
        ]

    def __str__(self):
        return f"{self.scope} {self.owner} {self.key}"
