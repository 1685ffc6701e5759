"""A Redis outage degrades speed, never sessions: they live in PostgreSQL behind the cache."""

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
