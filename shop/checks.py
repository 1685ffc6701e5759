"""Deploy checks: `manage.py check --deploy` fails on a production configuration that would run
with a webhook secret missing or guessable (settings.py refuses the public development values)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

# Production cannot run without these: the WMS and the payment gateway webhooks.
REQUIRED_PRODUCTION_SECRETS = ("WMS_WEBHOOK_SECRET", "PAYMENT_WEBHOOK_SECRET")
MIN_SECRET_LENGTH = 32


@register(Tags.security, deploy=True)
def check_production_secrets(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    errors = []
    for name in REQUIRED_PRODUCTION_SECRETS:
        value = getattr(settings, name, "") or ""
        if not value:
            errors.append(
                Error(
                    f"{name} is not set.",
                    hint=f"Set {name} in the environment: without it the webhook refuses "
                    "every call.",
                    id="shop.E001",
                )
            )
        elif len(value) < MIN_SECRET_LENGTH:
            errors.append(
                Error(
                    f"{name} is shorter than {MIN_SECRET_LENGTH} characters.",
                    hint="Generate one: python -c 'import secrets; print(secrets.token_hex(32))'",
                    id="shop.E002",
                )
            )
    return errors
