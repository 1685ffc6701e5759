"""Redis over a Unix socket has two spellings: redis-py's `unix:///path?db=N` (the cache, the
drop gate, our own clients) and kombu's `redis+socket:///path?virtual_host=N` (Celery's broker;
kombu does not know `unix://`). REDIS_URL is written redis-py's way; these turn one into the
other. TCP URLs (`redis://`, `rediss://`) are the same to both and pass through unchanged."""

from urllib.parse import parse_qsl, urlencode, urlsplit

REDIS_PY_SCHEMES = ("redis://", "rediss://", "unix://")


def _respelled(url: str, scheme: str, renames: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [
        (renames.get(name, name), value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    # Not urlunsplit: it drops the empty authority ("scheme:/path"), which both misread.
    return f"{scheme}://{parts.netloc}{parts.path}" + (f"?{urlencode(query)}" if query else "")


def broker_url(redis_url: str) -> str:
    """The Celery broker URL for the Redis at `redis_url` (redis-py's spelling)."""
    if not redis_url.startswith("unix://"):
        return redis_url
    return _respelled(redis_url, "redis+socket", {"db": "virtual_host"})


def client_url(url: str) -> str | None:
    """redis-py's URL for a Redis cache or broker URL; None when `url` is not Redis (the
    in-memory transport, AMQP)."""
    if url.startswith("redis+socket://"):
        return _respelled(url, "unix", {"virtual_host": "db"})
    return url if url.startswith(REDIS_PY_SCHEMES) else None
