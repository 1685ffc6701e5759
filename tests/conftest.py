import os

import pytest
from django.core.cache import cache

from tests.factories.shop import PASSWORD, StaffFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from
# the test body (arranging data) are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# broker / redis_broker: a real or dead Celery broker for a test (tests/broker_support.py).
pytest_plugins = ["tests.broker_support"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Every test starts and ends with every cache empty and the cache circuit closed."""
    _forget_every_cache()
    yield
    _forget_every_cache()


def _forget_every_cache():
    from inventory import availability_cache, drop_gate
    from inventory.services import reservations
    from shop import cache_versions
    from storefront import html_cache, page_cache

    cache.clear()
    availability_cache.forget_local()  # this process's kept availability
    drop_gate.forget_rules()  # drop mode's per-process copy of the drop SKUs
    page_cache.forget_local()  # this process's copies of versioned documents, its nav tree
    html_cache.forget()  # this process's rendered pages
    cache_versions.forget_stock_hints()  # which variants each page showed last
    cache_versions.reset_circuit()
    reservations.forget_routed_markets()  # markets found to need routing


@pytest.fixture
def redis_round_trips(monkeypatch):
    """A list that grows by one for each round trip this process makes to Redis (a command, or
    a pipeline's batch), whoever makes it: Django's cache or shop.cache_versions. Counted here,
    not on the server, which other processes share."""
    import redis
    from redis.client import Pipeline

    from shop import cache_versions
    from shop.cache import LuaScript

    client = cache_versions._kept_redis_client()
    if client is None:
        pytest.skip("needs the Redis cache")
    for script in LuaScript.every:  # as on a server that ran them before: EVALSHA only
        client.script_load(script.source)
    trips = []
    command, batch = redis.Redis.execute_command, Pipeline.execute

    def execute_command(self, *args, **kwargs):
        trips.append(1)
        return command(self, *args, **kwargs)

    def execute(self, *args, **kwargs):
        if self.command_stack:
            trips.append(1)
        return batch(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", execute_command)
    monkeypatch.setattr(Pipeline, "execute", execute)
    return trips


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def customer(db):
    return UserFactory(email="customer@example.com")


@pytest.fixture
def merchandiser(db):
    return StaffFactory(email="merch@example.com", groups=["Merchandiser"])


@pytest.fixture
def operations_user(db):
    return StaffFactory(email="ops@example.com", groups=["Operations"])


@pytest.fixture
def finance_user(db):
    return StaffFactory(email="finance@example.com", groups=["Finance"])


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def merchandiser_api(merchandiser):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(merchandiser)
    return client


# --- Browser tests: Playwright driving Debian's Chromium (no downloaded browsers) ---

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
