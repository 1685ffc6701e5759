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
}


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
        "django.core.cache.backends.redis.RedisCache",
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
