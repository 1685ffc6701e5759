"""shop.cache_versions: a never-read scope starts at a fresh version, in one round trip for
any number of them, and never overwrites one another process started first."""

import time

import pytest
from django.core.cache import cache

from shop import cache_versions


@pytest.fixture
def redis_round_trips(monkeypatch):
    """Counts the calls that reach Redis through the kept client (MGET, pipelines)."""
    client = cache_versions._kept_redis_client()
    if client is None:
        pytest.skip("needs the Redis cache")
    calls = []
    real_mget, real_pipeline = client.mget, client.pipeline

    def mget(*args, **kwargs):
        calls.append("mget")
        return real_mget(*args, **kwargs)

    def pipeline(*args, **kwargs):
        calls.append("pipeline")
        return real_pipeline(*args, **kwargs)

    monkeypatch.setattr(client, "mget", mget)
    monkeypatch.setattr(client, "pipeline", pipeline)
    return calls


def test_fifty_never_read_scopes_start_fresh_in_one_more_round_trip(redis_round_trips):
    scopes = [cache_versions.stock_scope(n) for n in range(50)]
    before = time.time_ns()

    first = cache_versions.read_versions(scopes)
    again = cache_versions.read_versions(scopes)

    assert redis_round_trips == ["mget", "pipeline", "mget"]
    assert first == again and set(first) == set(scopes)
    assert all(version >= before for version in first.values())


def test_a_version_another_process_started_first_is_kept(redis_round_trips):
    cache.set("ver:stock:7", 42, timeout=None)  # started by someone else meanwhile

    started = cache_versions._start_versions(["ver:stock:7", "ver:stock:8"])

    assert started["ver:stock:7"] == 42
    assert started["ver:stock:8"] >= 42
    assert cache_versions.read_versions(["stock:7", "stock:8"]) == {
        "stock:7": 42,
        "stock:8": started["ver:stock:8"],
    }
