"""Test settings: PostgreSQL and Redis (defaults point at the local services), eager Celery."""

import os

os.environ.setdefault("EMPORIUM_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/emporium")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("CACHE_KEY_PREFIX", "emporium-test")

from shop.settings import *  # noqa: E402,F403

CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The default throttles are off; the token view's own scoped throttle still runs, so give it
# room for every login the suite makes (one test lowers it to see the 429).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
        "auth": "1000/minute",
    },
}
# Tests flush the cache and the database between tests: no per-process copy of the markets.
MARKETS_LOCAL_SECONDS = 0
# A test that kills Redis must not leave the storefront skipping the cache for the next tests.
CACHE_CIRCUIT_OPEN_SECONDS = 0
WHITENOISE_AUTOREFRESH = True  # no collectstatic before tests
