"""benchmarks/checkout_bench.py --connect socket: the run's database over PostgreSQL's own Unix
socket, and a Redis of the run's own on one; both answer."""

import os

import psycopg
import pytest
import redis
from django.conf import settings

from benchmarks.checkout_bench import _socket_database_url, _socket_redis, _stop


def _server_url(database: str) -> str:
    db = settings.DATABASES["default"]
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


@pytest.mark.django_db
def test_the_database_url_over_the_servers_unix_socket_reaches_the_same_server():
    name = settings.DATABASES["default"]["NAME"]

    url = _socket_database_url(_server_url("postgres"), _server_url(name))

    assert url is not None, "the machine's PostgreSQL has a Unix socket (Debian's does)"
    assert url.startswith("postgres://") and "%2F" in url and url.endswith(f"/{name}")
    with psycopg.connect(url) as conn:
        assert conn.info.host.startswith("/")  # a socket directory, not an address
        assert conn.execute("SELECT current_database()").fetchone()[0] == name


def test_the_runs_own_redis_answers_on_its_socket_and_stops(tmp_path):
    started = _socket_redis(tmp_path)

    assert started is not None, "redis-server is installed by .ci/prepare (make test)"
    process, url = started
    try:
        assert url == f"unix://{tmp_path / 'redis.sock'}?db=1"
        client = redis.Redis.from_url(url)
        assert client.ping() and client.set("k", "v") and client.get("k") == b"v"
    finally:
        _stop(process)
    assert process.poll() is not None
    assert not os.path.exists(tmp_path / "redis.sock")
