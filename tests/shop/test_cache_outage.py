"""A Redis outage degrades speed, never sessions: they live in PostgreSQL behind the cache."""

from unittest import mock

import pytest
from django.core.cache.backends.redis import RedisCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def break_cache(monkeypatch):
    """Call to make every cache call fail from then on (nothing listens on port 1)."""

    def _break():
        dead = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
        monkeypatch.setattr("django.contrib.sessions.backends.cached_db.caches", {"default": dead})
        monkeypatch.setattr("shop.selectors.cache", dead)

    return _break


def test_logged_in_staff_stay_logged_in_when_the_cache_goes_down(
    client, merchandiser, break_cache
):
    client.force_login(merchandiser)
    break_cache()

    response = client.get("/admin/")

    assert response.status_code == 200
    assert response.context["user"] == merchandiser


def test_staff_can_log_in_and_out_while_the_cache_is_down(
    client, merchandiser, password, break_cache
):
    break_cache()

    assert client.login(username=merchandiser.email, password=password)
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert client.get("/admin/").status_code == 302


def test_storefront_home_renders_when_the_cache_is_down(client, break_cache):
    break_cache()

    response = client.get("/")

    assert response.status_code == 200


def test_cached_sessions_expire_from_redis_within_ten_minutes(client, merchandiser, settings):
    from django.core.cache import cache

    client.force_login(merchandiser)
    key = cache.make_key("django.contrib.sessions.cached_db" + client.session.session_key)

    seconds_left = cache._cache.get_client(key).ttl(key)  # Redis TTL of the cached session

    assert 0 < seconds_left <= settings.SESSION_CACHE_MAX_SECONDS


# --- The API with Redis down: throttles count in the process, never a 500 --------------------

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}
PRODUCT_BODY = {
    "handle": "rain-jacket",
    "title": "Rain jacket",
    "status": "active",
    "options": [{"name": "Color", "values": ["Red"]}],
    "variants": [
        {
            "sku": "RAIN-RED",
            "option_values": {"Color": "Red"},
            "prices": [{"amount": 9900, "currency": "USD"}],
            "identifiers": [],
        }
    ],
}


@pytest.fixture
def production_throttles(monkeypatch):
    """The default throttles production runs (the test settings switch them off)."""
    from rest_framework.views import APIView

    from shop.api import throttling

    monkeypatch.setattr(
        APIView, "throttle_classes", [throttling.AnonRateThrottle, throttling.UserRateThrottle]
    )
    throttling.throttle_cache.reset()
    yield throttling
    throttling.throttle_cache.reset()


@pytest.fixture
def redis_down(settings):
    """REDIS_URL pointing at a closed port, for the cache (the broker: see redis_and_broker)."""
    settings.CACHES = DEAD_REDIS


def test_drf_stock_throttles_are_what_failed_when_the_cache_is_down(redis_down):
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rest_framework.test import APIRequestFactory
    from rest_framework.throttling import AnonRateThrottle

    request = APIRequestFactory().get("/api/v1/products")
    request.user = None

    with pytest.raises(RedisConnectionError):
        AnonRateThrottle().allow_request(request, view=None)


def test_api_reads_token_login_and_staff_writes_answer_while_redis_is_down(
    client, merchandiser, password, production_throttles, redis_down
):
    from tests.factories.catalog import VariantFactory

    VariantFactory(product__handle="mug", product__title="Mug")

    listing = client.get("/api/v1/products")
    detail = client.get("/api/v1/products/mug")
    login = client.post(
        "/api/v1/auth/token",
        {"username": merchandiser.email, "password": password},
        content_type="application/json",
    )
    auth = {"HTTP_AUTHORIZATION": f"Token {login.json()['token']}"}
    created = client.post(
        "/api/v1/products", PRODUCT_BODY, content_type="application/json", **auth
    )
    patched = client.patch(
        "/api/v1/products/mug", {"title": "Big mug"}, content_type="application/json", **auth
    )

    assert [r.status_code for r in (listing, detail, login, created, patched)] == [
        200,
        200,
        200,
        201,
        200,
    ]
    assert [p["handle"] for p in listing.json()["results"]] == ["mug"]
    assert detail.json()["title"] == "Mug"
    assert created.json()["handle"] == "rain-jacket"
    assert patched.json()["title"] == "Big mug"


def test_throttles_keep_counting_in_the_process_while_redis_is_down(
    client, production_throttles, redis_down, monkeypatch
):
    monkeypatch.setattr(
        production_throttles.AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"}
    )

    statuses = [client.get("/api/v1/products").status_code for _ in range(4)]
    response = client.get("/api/v1/products")

    assert statuses == [200, 200, 200, 429]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_an_outage_logs_one_warning_and_skips_redis_for_thirty_seconds(
    client, production_throttles, redis_down, caplog, monkeypatch
):
    from django.core.cache import caches

    dead, tries = caches["default"], []

    class CountingCache:
        def add(self, *args, **kwargs):
            tries.append("add")
            return dead.add(*args, **kwargs)

    monkeypatch.setattr(production_throttles, "caches", {"default": CountingCache()})

    statuses = [client.get("/api/v1/products").status_code for _ in range(5)]

    warnings = [r for r in caplog.records if r.name == "shop.api.throttling"]
    assert statuses == [200] * 5
    assert tries == ["add"]  # later requests do not wait for Redis
    assert [r.getMessage() for r in warnings] == [
        "Cache unreachable: API throttles count in this process for the next 30 s"
    ]
    assert production_throttles.throttle_cache.shared_is_down()


def test_throttles_use_redis_again_once_it_answers(client, production_throttles, settings):
    from django.core.cache import cache

    cache_ = production_throttles.throttle_cache
    cache_._shared_down_until = 0.0  # the retry window has passed

    client.get("/api/v1/products")

    assert not cache_.shared_is_down()
    assert any(key.startswith("throttle_anon_") for key in _redis_keys(cache))


def _redis_keys(cache):
    prefix = cache.make_key("")
    client = cache._cache.get_client(prefix)
    return [k.decode().removeprefix(prefix) for k in client.keys(prefix + "*")]


def test_editing_a_market_while_redis_is_down_saves_it(redis_down):
    from shop.models import Market

    market = Market.objects.get(code="CA")
    market.name = "Canada (CAD)"

    market.save()

    assert Market.objects.get(code="CA").name == "Canada (CAD)"


def test_storefront_and_customer_login_work_while_redis_is_down(
    client, customer, password, redis_down
):
    home = client.get("/")
    login = client.post("/accounts/login/", {"username": customer.email, "password": password})
    account = client.get("/account/")

    assert (home.status_code, login.status_code, account.status_code) == (200, 302, 200)


# --- The whole shop in a process whose REDIS_URL points at a closed port ---------------------

OUTAGE_SCRIPT = r"""
import json

import django

django.setup()
from django.test import Client

from shop.models import DeferredTask, User

body = json.loads(__import__("os").environ["PRODUCT_BODY"])
password = __import__("os").environ["TEST_PASSWORD"]
api, shopper, newcomer = Client(), Client(), Client()
out = {}
out["home"] = shopper.get("/").status_code
out["product_page"] = shopper.get("/p/mug/").status_code
out["api_list"] = api.get("/api/v1/products").status_code
out["api_detail"] = api.get("/api/v1/products/mug").status_code
login = api.post(
    "/api/v1/auth/token",
    {"username": "merch@example.com", "password": password},
    content_type="application/json",
)
out["token_login"] = login.status_code
auth = {"HTTP_AUTHORIZATION": "Token " + login.json()["token"]}
out["staff_write"] = api.post(
    "/api/v1/products", body, content_type="application/json", **auth
).status_code
out["storefront_login"] = shopper.post(
    "/accounts/login/", {"username": "customer@example.com", "password": password}
).status_code
out["account_page"] = shopper.get("/account/").status_code
# Checkout-shaped: a buyer's POST that writes a row and queues a Celery task (the mail).
out["signup"] = newcomer.post(
    "/accounts/signup/",
    {"email": "new@example.com", "password": password + "!", "password_confirm": password + "!"},
).status_code
out["signup_wrote"] = User.objects.filter(email="new@example.com").exists()
out["deferred"] = [[t.task, sorted(t.kwargs)] for t in DeferredTask.objects.all()]
out["healthz"] = api.get("/healthz").json()
print(json.dumps(out))
"""


@pytest.mark.django_db(transaction=True)
def test_the_shop_runs_with_redis_url_pointing_at_a_closed_port(merchandiser, customer, password):
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db import connection

    from tests.factories.catalog import VariantFactory

    VariantFactory(product__handle="mug", product__title="Mug")
    # The test settings hash with MD5; the shop's own settings do not read MD5 hashes.
    hashed = PBKDF2PasswordHasher().encode(password, "outagetestsalt")
    type(customer).objects.filter(pk__in=[customer.pk, merchandiser.pk]).update(password=hashed)
    db = connection.settings_dict
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMPORIUM_ENV"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shop.settings",  # production's throttles and a real broker
        EMPORIUM_ENV="development",
        DEBUG="false",
        SECRET_KEY="outage-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        WMS_WEBHOOK_SECRET="outage-test-wms-secret-0123456789abcdef",
        PAYMENT_WEBHOOK_SECRET="outage-test-payment-secret-0123456789ab",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL="redis://127.0.0.1:1/0",  # nothing listens there: cache and broker are down
        PRODUCT_BODY=json.dumps(PRODUCT_BODY),
        TEST_PASSWORD=password,
        LOG_LEVEL="CRITICAL",
    )

    result = subprocess.run(
        [sys.executable, "-c", OUTAGE_SCRIPT],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "home": 200,
        "product_page": 200,
        "api_list": 200,
        "api_detail": 200,
        "token_login": 200,
        "staff_write": 201,
        "storefront_login": 302,
        "account_page": 200,
        "signup": 302,
        "signup_wrote": True,
        "deferred": [["shop.tasks.send_email", ["body", "subject", "to"]]],
        "healthz": {"status": "unhealthy", "database": "ok", "cache": "down", "broker": "down"},
    }


def test_a_throttled_request_costs_one_round_trip_to_redis(client, production_throttles):
    """Fixed-window counting: one pipelined INCRBY + EXPIRE per throttle, whatever the rate,
    and an anonymous client goes through the anonymous throttle only."""
    import redis

    client.get("/api/v1/products")  # cached now: the measured request only reads the cache
    sent = []
    original = redis.client.Pipeline.execute

    def execute(self, *args, **kwargs):
        sent.append([command[0][0] for command in self.command_stack])
        return original(self, *args, **kwargs)

    with mock.patch.object(redis.client.Pipeline, "execute", execute):
        client.get("/api/v1/products")

    assert sent == [["INCRBY", "EXPIRE"]]


def test_the_window_limits_each_client_and_says_when_to_retry(
    client, production_throttles, monkeypatch
):
    monkeypatch.setattr(
        production_throttles.AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"}
    )

    statuses = [client.get("/api/v1/products").status_code for _ in range(5)]
    other = client.get("/api/v1/products", REMOTE_ADDR="203.0.113.9")

    assert statuses == [200, 200, 200, 429, 429]
    assert other.status_code == 200  # counted apart
    refused = client.get("/api/v1/products")
    assert 0 < int(refused["Retry-After"]) <= 60


def test_the_cache_keeps_one_redis_client_per_pool():
    from django.core.cache import caches

    from shop.cache import ReusingRedisCache

    cache = caches["default"]
    assert isinstance(cache, ReusingRedisCache)  # the suite runs on Redis, as production
    assert cache._cache.get_client("a") is cache._cache.get_client("b")
    cache.set("reused-client", 1)
    assert cache.get("reused-client") == 1


def test_a_connection_the_server_closed_is_opened_again_for_the_same_command(caplog):
    """Each thread keeps one Redis connection (shop/cache.py). When Redis drops it (a restart,
    an idle timeout; here CLIENT KILL of just that connection), the next cache call opens a
    new one and answers: no error, no warning, no circuit opened."""
    import redis
    from django.core.cache import cache, caches

    from shop import cache_versions

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("needs the Redis cache")
    cache.set("outage:kept-connection", "still here")
    cache_versions.read_versions(["nav"])
    kept = backend._cache.get_client(write=True)
    other = redis.Redis(connection_pool=kept.connection_pool)  # a pool connection of its own
    for _ in range(2):  # the cache's reads, then the versions' (the same kept connection)
        assert other.client_kill_filter(_id=kept.client_id()) == 1
        assert cache.get("outage:kept-connection") == "still here"
        assert other.client_kill_filter(_id=kept.client_id()) == 1
        assert cache_versions.read_versions(["nav"]) is not None
    assert cache_versions.cache_available()
    assert "cache unavailable" not in caplog.text
