"""Platform core: the user model (e-mail login), markets and sales channels."""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.db import new_public_id
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
        # Log-in looks the address up case-insensitively (UserManager.get_by_natural_key).
        indexes = [models.Index(Upper("email"), name="user_email_upper_idx")]

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


class ApiToken(models.Model):
    """An API key (`Authorization: Token <key>`), one per login, so each can be revoked alone.

    Only the key's SHA-256 digest is stored: a database copy does not leak working keys. A
    token unused for API_TOKEN_IDLE_DAYS is expired (401 `token_expired`). Written only by
    shop.tokens.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text=_("The key's first characters, to tell it apart")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["-last_used_at"]
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def expires_at(self):
        return self.last_used_at + timedelta(days=settings.API_TOKEN_IDLE_DAYS)

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class DeferredTask(models.Model):
    """A Celery task the broker could not take (Redis down): shop.jobs records it here and the
    beat publishes it again (shop.tasks.requeue_deferred_tasks). Written only by shop.jobs."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.task} ({self.created_at:%Y-%m-%d %H:%M})"


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


class ProcessedWebhook(models.Model):
    """A webhook event already applied, so a redelivery or a replayed request is a no-op.

    Written only by shop.webhooks.record_webhook_once. `event_key` is the provider's event id
    (source `wms`, `payments:<gateway>`) or a signature digest (source `<source>:signature`).
    """

    source = models.CharField(max_length=40)
    event_key = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "event_key"], name="processed_webhook_unique"
            )
        ]

    def __str__(self):
        return f"{self.source}:{self.event_key}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


def new_job_id() -> str:
    return new_public_id("job")


class BackgroundJob(models.Model):
    """Long work a person started (a 100,000-row import) and follows on a status page.

    Written only by shop.background (start_job, mark_running, finish_job, fail_job); the task
    that does the work reports progress there too. `params` is what the task needs to run,
    `result` what it produced (JSON), `error` why it stopped.
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_job_id, editable=False)
    kind = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="background_job_status_valid"
            )
        ]

    def __str__(self):
        return f"{self.public_id} {self.kind} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class KillSwitchKind(models.TextChoices):
    CHECKOUT = "checkout", _("Checkout as a whole")
    MARKET = "market", _("Market")
    PAYMENT_METHOD = "payment_method", _("Payment method")
    SHIPPING_METHOD = "shipping_method", _("Shipping method")
    PROMOTION = "promotion", _("Promotion")


class KillSwitch(models.Model):
    """Operations turn one thing off at runtime: checkout, a market, a payment or shipping
    method, a promotion (docs/runbooks.md, "Kill switches").

    `target` names the thing (a market code, a method code, a promotion id; empty for
    checkout). Written only by shop.services.set_kill_switch, which appends a
    KillSwitchChange (who, when, why) and bumps the cache version every web worker reads.
    """

    kind = models.CharField(max_length=20, choices=KillSwitchKind.choices)
    target = models.CharField(max_length=64, blank=True)
    is_off = models.BooleanField(
        default=True, help_text=_("Switched off: refused at checkout, hidden on the storefront.")
    )
    reason = models.CharField(max_length=255)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "target"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "target"], name="kill_switch_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=KillSwitchKind.values), name="kill_switch_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="checkout", target="")
                | (~models.Q(kind="checkout") & ~models.Q(target="")),
                name="kill_switch_target_matches_kind",
            ),
        ]

    def __str__(self):
        label = KillSwitchKind(self.kind).label
        state = "off" if self.is_off else "on"
        return f"{label} {self.target} {state}".replace("  ", " ")


class KillSwitchChange(models.Model):
    """One flip of a kill switch, append-only: the switch's history in the admin."""

    switch = models.ForeignKey(KillSwitch, related_name="changes", on_delete=models.CASCADE)
    is_off = models.BooleanField()
    reason = models.CharField(max_length=255)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.switch} at {self.changed_at:%Y-%m-%d %H:%M}"
