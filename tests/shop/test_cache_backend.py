"""shop.cache: set_many with an expiry is one script run that sets every key with its expiry,
as Django's MULTI/MSET/EXPIRE did, and keeps Django's meaning of no expiry and of 0."""

import pytest
from django.core.cache import cache

from shop import cache_versions


@pytest.fixture
def redis_client():
    client = cache_versions._kept_redis_client()
    if client is None:
        pytest.skip("needs the Redis cache")
    return client


def _ttl(client, key: str) -> int:
    return client.ttl(cache.make_key(key))


def test_set_many_sets_every_value_with_its_expiry_in_one_round_trip(
    redis_client, redis_round_trips
):
    values = {"card:1": {"title": "Tee", "ids": [1, 2]}, "card:2": 42, "card:3": "text"}
    cache.set_many(values, 30)

    assert len(redis_round_trips) == 1
    assert cache.get_many(list(values)) == values
    assert all(0 < _ttl(redis_client, key) <= 30 for key in values)


def test_set_many_without_expiry_keeps_the_keys_and_zero_deletes_them(redis_client):
    cache.set_many({"forever:1": 1, "forever:2": 2}, None)
    assert _ttl(redis_client, "forever:1") == -1  # no expiry
    assert cache.get("forever:2") == 2

    cache.set_many({"forever:1": 5}, 0)  # Django: a timeout of 0 expires at once

    assert cache.get("forever:1") is None


def test_set_many_sends_its_script_again_after_a_script_flush(redis_client):
    redis_client.script_flush()

    cache.set_many({"after-flush": [1, 2, 3]}, 10)

    assert cache.get("after-flush") == [1, 2, 3]
