"""Settings come from the environment; production mode passes `check --deploy`."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

REPO = settings.BASE_DIR


def _run(code_or_args: list[str], **env) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is a test-only crutch for Playwright; a deployment never has it.
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=REPO,
        env={**clean, "DJANGO_SETTINGS_MODULE": "shop.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "EMPORIUM_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789",
    "ALLOWED_HOSTS": "shop.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/emporium",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "WMS_WEBHOOK_SECRET": "a-long-random-wms-secret-for-this-test-only-0123456789",
    "PAYMENT_WEBHOOK_SECRET": "a-long-random-payment-secret-for-this-test-only-012345",
}
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
DEV_WMS_SECRET = "dev-wms-webhook-secret"
PUBLIC_VALUE = "is the public development value; set a secret of your own."
PRINT_SECRETS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.EMPORIUM_ENV, s.DEBUG, repr(s.WMS_WEBHOOK_SECRET))"
)


def test_production_settings_pass_check_deploy():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    env = {**PRODUCTION, "SECRET_KEY": ""}

    result = _run(["manage.py", "check"], **env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_defaults_use_sqlite_locmem_and_eager_celery():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.SESSION_ENGINE, s.DEBUG)"
    )

    result = _run(["-c", code])

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
        "shop.sessions",
        "True",
    ]


def test_environment_selects_postgresql_and_redis():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )

    result = _run(["-c", code], **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "shop.cache.ReusingRedisCache",
        "False",
        "redis://127.0.0.1:6379/1",
    ]


def test_sessions_survive_a_cache_outage_because_they_live_in_the_database():
    assert settings.SESSION_ENGINE == "shop.sessions"


@pytest.mark.parametrize(("value", "rate"), [("", "10/minute"), ("5/hour", "5/hour")])
def test_token_endpoint_rate_comes_from_api_auth_rate(value, rate):
    code = "from django.conf import settings as s; "
    code += "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['auth'])"

    result = _run(
        ["-c", f"import django; django.setup(); {code}"], **PRODUCTION, API_AUTH_RATE=value
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == rate


# --- Fail closed: a typo or a missing secret refuses to start, never runs development mode ---


def _refusal(result: subprocess.CompletedProcess) -> str:
    """The one-line reason start-up printed last (after the traceback)."""
    last = result.stderr.strip().splitlines()[-1]
    return last.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


@pytest.mark.parametrize("value", ["prod", "Production", "", "production "])
def test_an_unknown_emporium_env_refuses_to_start(value):
    result = _run(["-c", PRINT_SECRETS], **{**PRODUCTION, "EMPORIUM_ENV": value})

    assert result.returncode != 0
    assert result.stdout == ""
    assert _refusal(result) == (
        f"EMPORIUM_ENV={value!r} is not one of development, test, production; refusing to start."
    )


@pytest.mark.parametrize("value", ["development", "test", "production"])
def test_the_three_environments_start(value):
    result = _run(["-c", PRINT_SECRETS], **{**PRODUCTION, "EMPORIUM_ENV": value})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == value


def test_development_with_debug_on_uses_the_public_development_secrets():
    code = PRINT_SECRETS.replace("s.DEBUG", "s.DEBUG, s.SECRET_KEY")

    result = _run(["-c", code], EMPORIUM_ENV="development")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["development", "True", DEV_SECRET_KEY, repr(DEV_WMS_SECRET)]


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = _run(["-c", PRINT_SECRETS], EMPORIUM_ENV="development", DEBUG="false")

    assert result.returncode != 0
    assert _refusal(result) == "SECRET_KEY must be set when DEBUG is off."


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_debug_off_refuses_the_public_development_secret_key(environment):
    result = _run(
        ["-c", PRINT_SECRETS],
        **{**PRODUCTION, "EMPORIUM_ENV": environment, "DEBUG": "0", "SECRET_KEY": DEV_SECRET_KEY},
    )

    assert result.returncode != 0
    assert _refusal(result) == f"SECRET_KEY {PUBLIC_VALUE}"


@pytest.mark.parametrize("debug", ["0", "1"])
def test_the_public_development_wms_secret_refuses_to_start_outside_development(debug):
    env = {**PRODUCTION, "DEBUG": debug, "WMS_WEBHOOK_SECRET": DEV_WMS_SECRET}

    result = _run(["-c", PRINT_SECRETS], **env)

    assert result.returncode != 0
    assert _refusal(result) == f"WMS_WEBHOOK_SECRET {PUBLIC_VALUE}"


def test_debug_off_without_a_wms_secret_turns_the_webhook_off_instead_of_using_the_public_one():
    env = {**PRODUCTION, "EMPORIUM_ENV": "development", "DEBUG": "off", "WMS_WEBHOOK_SECRET": ""}

    result = _run(["-c", PRINT_SECRETS], **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["development", "False", "''"]


def test_check_deploy_fails_in_production_without_the_wms_webhook_secret():
    env = {**PRODUCTION, "WMS_WEBHOOK_SECRET": ""}

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)

    assert result.returncode != 0
    assert "(shop.E001) WMS_WEBHOOK_SECRET is not set." in result.stderr


def test_check_deploy_fails_in_production_with_a_short_wms_webhook_secret():
    env = {**PRODUCTION, "WMS_WEBHOOK_SECRET": "short"}

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)

    assert result.returncode != 0
    assert "(shop.E002) WMS_WEBHOOK_SECRET is shorter than 32 characters." in result.stderr


def test_check_deploy_fails_in_production_without_the_payment_webhook_secret():
    env = {**PRODUCTION, "PAYMENT_WEBHOOK_SECRET": ""}

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)

    assert result.returncode != 0
    assert "(shop.E001) PAYMENT_WEBHOOK_SECRET is not set." in result.stderr


def test_the_public_development_payment_secret_refuses_to_start_in_production():
    env = {**PRODUCTION, "PAYMENT_WEBHOOK_SECRET": "dev-payment-webhook-secret"}

    result = _run(["-c", PRINT_SECRETS], **env)

    assert result.returncode != 0
    assert _refusal(result) == f"PAYMENT_WEBHOOK_SECRET {PUBLIC_VALUE}"


def test_the_webhook_secret_check_runs_with_deploy_only():
    env = {**PRODUCTION, "WMS_WEBHOOK_SECRET": ""}

    result = _run(["manage.py", "check"], **env)

    assert result.returncode == 0, result.stderr
    assert "shop.E001" not in result.stderr + result.stdout


def test_per_market_fulfillment_and_returns_settings_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from orders import conf; from shop.models import Market; "
        "print(s.ORDERS_CAPTURE_POLICY, s.ORDERS_AUTHORIZATION_VALID_DAYS, "
        "conf.capture_policy(Market(code='EU')), conf.capture_policy(Market(code='US')), "
        "s.RETURNS_ADDRESS, sep='|')"
    )

    result = _run(
        ["-c", code],
        ORDERS_CAPTURE_POLICY="default=on_shipment, EU=at_placement",
        ORDERS_AUTHORIZATION_VALID_DAYS="default=7,US=30",
        RETURNS_ADDRESS="Returns Desk|1 Dock Road|Berlin",
    )
    refused = _run(["-c", "import django; django.setup()"], ORDERS_CAPTURE_POLICY="EU")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "{'default': 'on_shipment', 'EU': 'at_placement'}",
        "{'default': 7, 'US': 30}",
        "at_placement",
        "on_shipment",
        "['Returns Desk', '1 Dock Road', 'Berlin']",
    ]
    assert refused.returncode != 0
    assert "ORDERS_CAPTURE_POLICY: 'EU' is not market=value." in refused.stderr
