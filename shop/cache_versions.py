"""Versions of what the storefront caches, so a write makes old cache entries unreachable.

Every cached storefront read (a product document, a listing page, the navigation) is stored
under a key that includes the versions of the scopes it was built from. A write bumps those
versions after its transaction commits (`bump_versions` registers `transaction.on_commit`), so
the next read misses and rebuilds; nothing is ever scanned or deleted. Old entries simply age
out of Redis (they carry a TTL, STOREFRONT_CACHE_SECONDS, which also bounds how long a bump
lost to a Redis outage can leave a page stale).

Scopes (one key each in the cache):

- `product:<id>`: the product's document, card and prices;
- `category:<id>`: listing pages and facets of the category (which include its descendants);
- `market:<code>`: everything shown in that market (its currency, locale, name);
- `promotions`: the promotion set (every anonymous price);
- `prices`: any catalog price (bumped by every product write, which may change one; the
  promotions result cache keys on it, promotions.selectors);
- `nav`: the category tree (header navigation, breadcrumbs, home tiles);
- `home`: the home page's product lists;
- `stock:<variant id>`: the variant's availability (inventory.availability_cache), bumped by
  every stock write with `bump_stock_versions`;
- `stock-locations`: which active locations serve which market (every variant's availability).

Redis down: `read_versions` returns None (callers read the database), bumps are logged and
dropped; a short circuit breaker stops every request from waiting on a dead Redis.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from shop import request_memo
from shop.cache import LuaScript

logger = logging.getLogger(__name__)

NAV = "nav"
HOME = "home"
STOCK_LOCATIONS = "stock-locations"
PROMOTIONS = "promotions"
PRICES = "prices"
_VERSION_PREFIX = "ver:"
_circuit_open_until = 0.0


def product_scope(product_id: int) -> str:
    return f"product:{product_id}"


def category_scope(category_id: int) -> str:
    return f"category:{category_id}"


def market_scope(market_code: str) -> str:
    return f"market:{market_code}"


def stock_scope(variant_id: int) -> str:
    return f"stock:{variant_id}"


def cache_available() -> bool:
    """False while the circuit breaker is open after a cache failure."""
    return time.monotonic() >= _circuit_open_until


def report_cache_failure(what: str) -> None:
    """Log a cache failure (once per open period) and open the circuit breaker."""
    global _circuit_open_until
    if cache_available():
        logger.warning("cache unavailable; %s from the database", what, exc_info=True)
    # Skip the cache this long: a dead Redis costs one warning per process per period, not a
    # timeout per request.
    _circuit_open_until = time.monotonic() + settings.CACHE_CIRCUIT_OPEN_SECONDS


def reset_circuit() -> None:
    """Close the circuit breaker (tests, and after an operator fixed Redis)."""
    global _circuit_open_until
    _circuit_open_until = 0.0


# What nearly every storefront request reads from the cache: the versions of the promotion set,
# the prices and the navigation, and the values registered with `fetch_with_request_versions`
# (the kill switches, the rate tables). The first version read of a request fetches them all in
# its one round trip and keeps them for the rest of the request (shop.request_memo); a checkout
# read them in ~17 round trips of their own, two or three a request. A bump the request makes
# forgets them.
# Outside a request (tasks, commands) every read goes to the cache, as before.
REQUEST_SCOPES = (PROMOTIONS, PRICES, NAV)
_REQUEST_VERSIONS = "cache_versions:request-versions"
_request_values: list[str] = []
# Values fetched along but decoded only when asked for (take_request_value): pages that never
# need them (a product page and the rate tables) pay for a few kilobytes read, not unpickled.
_decoded_when_asked: set[str] = set()
_FETCHED = "cache_versions:fetched:"
NOT_FETCHED = object()
_EMPTY = object()  # kept for a value the first read found nothing under


class _Undecoded(bytes):
    """A value as Redis holds it, to be decoded when asked for."""


def fetch_with_request_versions(cache_key: str, *, decode_when_asked: bool = False) -> None:
    """Have the first version read of each request also fetch `cache_key` (a value stored
    through Django's cache API) and leave what it holds in the request's memo under that key
    (shop.request_memo.remembered finds it); nothing is left when the key holds nothing.
    `decode_when_asked`: kept as read instead, for `take_request_value`."""
    if cache_key not in _request_values:
        _request_values.append(cache_key)
    if decode_when_asked:
        _decoded_when_asked.add(cache_key)


def take_request_value(cache_key: str) -> object:
    """What this request's first version read found under `cache_key` (registered with
    `decode_when_asked`), decoded now: None when the key held nothing then. NOT_FETCHED
    outside a request, before that read, after a `forget_request_value`, and on a second
    call (taken): ask the cache."""
    found = request_memo.take(_FETCHED + cache_key)
    if found is None:
        return NOT_FETCHED
    if found is _EMPTY:
        return None
    if isinstance(found, _Undecoded):
        return _loads(bytes(found))
    return found  # another cache backend's get_many decoded it already


def forget_request_value(cache_key: str) -> None:
    """The value under `cache_key` changed: this request's fetched copy is not to be used."""
    request_memo.forget(_FETCHED + cache_key)


def read_versions(scopes: Iterable[str]) -> dict[str, int] | None:
    """{scope: version} in one cache round trip, or None when the cache is unavailable.

    A scope never bumped (or evicted) starts at a fresh value taken from the clock, so a
    flushed Redis can never bring back an old version number and with it an old entry.
    In a request, the REQUEST_SCOPES come from the request's first read (see above).
    """
    scopes = list(dict.fromkeys(scopes))
    if not cache_available():
        return None
    hinted = request_memo.take(_REQUEST_STOCK_HINT)
    if hinted and request_memo.peek(_REQUEST_VERSIONS) is None:
        return read_versions_and_stock(scopes, list(hinted))
    kept, first, wanted = _to_fetch(scopes)
    if not wanted:
        return {scope: kept[scope] for scope in scopes}
    found = _fetch_versions(wanted, first)
    if found is None:
        return None
    return {scope: kept[scope] if scope in kept else found[scope] for scope in scopes}


def _to_fetch(scopes: list[str]) -> tuple[dict[str, int], bool, list[str]]:
    """(the request's kept REQUEST_SCOPES versions, whether this is the request's first read,
    the scopes to ask the cache for: those not kept, and on the first read every
    REQUEST_SCOPE too). Outside a request nothing is kept and nothing added."""
    kept = request_memo.peek(_REQUEST_VERSIONS)
    if kept is not None:
        return kept, False, [scope for scope in scopes if scope not in kept]
    first = request_memo.in_request()
    extra = [scope for scope in REQUEST_SCOPES if scope not in scopes] if first else []
    return {}, first, scopes + extra


def _fetch_versions(scopes: list[str], first: bool) -> dict[str, int] | None:
    """Versions of `scopes` from the cache (a scope never read starts fresh); with `first`,
    the request's values fetched along and the REQUEST_SCOPES kept for the request."""
    keys = {_VERSION_PREFIX + scope: scope for scope in scopes}
    extra = _request_values if first else []
    try:
        found, values = _get_many_ints_and_values(list(keys), extra)
        versions = {keys[key]: value for key, value in found.items()}
        missing = [key for key, scope in keys.items() if scope not in versions]
        if missing:
            versions.update({keys[key]: value for key, value in _start_versions(missing).items()})
    except Exception:  # noqa: BLE001 - any cache failure: the caller reads the database
        report_cache_failure("versions unreadable; pages served")
        return None
    if any(version is None for version in versions.values()):
        return None
    if first:
        _keep_for_request(versions, values)
    return versions


def _keep_for_request(versions: dict[str, int], values: dict[str, object]) -> None:
    request_memo.keep(_REQUEST_VERSIONS, {scope: versions[scope] for scope in REQUEST_SCOPES})
    for key, value in values.items():
        if key not in _decoded_when_asked:
            request_memo.keep(key, value)
    for key in _decoded_when_asked:
        request_memo.keep(_FETCHED + key, values.get(key, _EMPTY))


def _forget_request_versions(scopes: Iterable[str]) -> None:
    """A bump of one of the REQUEST_SCOPES: the request's next read asks the cache again."""
    if any(scope in REQUEST_SCOPES for scope in scopes):
        request_memo.forget(_REQUEST_VERSIONS)


_PREFETCHED_STOCK = "cache_versions:prefetched-stock"
_REQUEST_STOCK_HINT = "cache_versions:request-stock-hint"


def hint_request_stock(variant_ids: Iterable[int]) -> None:
    """This request is about to read the stock versions of `variant_ids` (read_stock_versions,
    deduplicated, in this order) after its first version read: have that read fetch them in
    its round trip. A cart page knows its lines before it prices them (the first read: the
    promotion set's version) and reads their availability after: one round trip less on
    each of a checkout's pages. Ignored once the request's first read happened; a later
    stock read for other variants asks Redis as before."""
    ids = tuple(dict.fromkeys(variant_ids))
    if ids and request_memo.in_request() and request_memo.peek(_REQUEST_VERSIONS) is None:
        request_memo.keep(_REQUEST_STOCK_HINT, ids)


def read_versions_and_stock(
    scopes: Iterable[str], variant_ids: list[int]
) -> dict[str, int] | None:
    """read_versions(scopes), and in the same round trip the stock versions of `variant_ids`,
    left for this request's next `read_stock_versions(variant_ids)`.

    A warm product page knows its variants before it reads its versions: one Redis round trip
    instead of two (each ~a tenth of the page's CPU, between the call and the wake-up).
    """
    scopes = list(dict.fromkeys(scopes))
    client = _kept_redis_client() if cache_available() else None
    stock_names = _stock_key_names(variant_ids) if client is not None else None
    if stock_names is None or not variant_ids:
        return read_versions(scopes)
    kept, first, wanted = _to_fetch(scopes)
    backend = caches["default"]
    names = [backend.make_key(_VERSION_PREFIX + scope) for scope in wanted]
    extra = [backend.make_key(key) for key in _request_values] if first else []
    try:
        raw = client.mget(names + stock_names + extra)
    except Exception:  # noqa: BLE001 - any cache failure: the caller reads the database
        report_cache_failure("versions unreadable; pages served")
        return None
    found = raw[: len(wanted)]
    stock = raw[len(wanted) : len(wanted) + len(stock_names)]
    if None in found:  # a scope never read yet: the general way starts it
        return read_versions(scopes)
    if None not in stock:
        request_memo.keep(
            _PREFETCHED_STOCK,
            (tuple(variant_ids), (int(stock[0]), list(map(int, stock[1:])))),
        )
    versions = {scope: int(value) for scope, value in zip(wanted, found, strict=True)}
    if first:
        loaded = raw[len(wanted) + len(stock_names) :]
        _keep_for_request(versions, _decoded(dict(zip(_request_values, loaded, strict=True))))
    return {scope: kept[scope] if scope in kept else versions[scope] for scope in scopes}


# {a page's key: the variant ids whose stock it read last time}, per process. A listing or an
# API list page learns which variants it shows only after its versions and documents; with
# this guess its stock versions come in the same round trip as its own versions. Bounded.
MAX_STOCK_HINTS = 5000
_stock_hints: dict[object, tuple[int, ...]] = {}


def read_versions_with_hinted_stock(scopes: Iterable[str], hint_key) -> dict[str, int] | None:
    """read_versions(scopes), with the stock versions of the variants the page `hint_key`
    read last time (note_stock_hint) in the same round trip: see read_versions_and_stock."""
    hint = _stock_hints.get(hint_key)
    return read_versions_and_stock(scopes, list(hint)) if hint else read_versions(scopes)


def note_stock_hint(hint_key, variant_ids: Iterable[int]) -> None:
    """The page `hint_key` reads the stock of `variant_ids` (its next visit prefetches them)."""
    if len(_stock_hints) >= MAX_STOCK_HINTS:
        _stock_hints.clear()
    _stock_hints[hint_key] = tuple(dict.fromkeys(variant_ids))


def forget_stock_hints() -> None:
    """Empty this process's hints (tests)."""
    _stock_hints.clear()


def _kept_redis_client():
    """This thread's redis-py client of the default cache (shop.cache keeps one per thread,
    on its own connection), or None when the cache is not Redis. The primary's (`write`):
    versions are never read from a replica that may lag behind a bump."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


# Each key not set yet takes ARGV[1]; then what every key holds. One command, one reply:
# SET NX per key in a pipeline was a reply each (~70 for a search page of new cards).
_START_VERSIONS = LuaScript(
    """
for _, key in ipairs(KEYS) do
    redis.call('SET', key, ARGV[1], 'NX')
end
return redis.call('MGET', unpack(KEYS))
"""
)
# Keys per script run: Lua's unpack() puts every key on its C stack (8,000 at most).
_START_CHUNK = 1000


def _start_versions(keys: list[str]) -> dict[str, int | None]:
    """Give each never-read key a fresh version unless another process just did, and return
    what each holds. On Redis one script run whatever the number of keys: a new listing
    names dozens of never-read stock scopes at once."""
    fresh = time.time_ns()
    client = _kept_redis_client()
    if client is None:
        for key in keys:
            cache.add(key, fresh, timeout=None)
        return {key: cache.get(key) for key in keys}
    backend = caches["default"]
    values = _start_names(client, [backend.make_key(key) for key in keys], fresh)
    return dict(zip(keys, values, strict=True))


def _start_names(client, names: list[str], fresh: int) -> list[int | None]:
    """_start_versions by Redis names: what each holds once the unset ones took `fresh`."""
    values = []
    for at in range(0, len(names), _START_CHUNK):
        values += _START_VERSIONS(client, names[at : at + _START_CHUNK], [fresh])
    return [None if value is None else int(value) for value in values]


def _get_many_ints(keys: list[str]) -> dict[str, int]:
    """cache.get_many for integer values (versions), through a kept client on Redis."""
    return _get_many_ints_and_values(keys, [])[0]


def _get_many_ints_and_values(keys: list[str], others: list[str]) -> tuple[dict, dict]:
    """({key: int} of `keys` (versions), {key: value} of `others` (values stored through the
    cache API)) in one round trip; keys holding nothing are left out."""
    client = _kept_redis_client()
    if client is None:
        found = cache.get_many(keys + others)
        return {k: found[k] for k in keys if k in found}, {
            k: found[k] for k in others if k in found
        }
    backend = caches["default"]
    raw = client.mget([backend.make_key(key) for key in keys + others])
    # Django's Redis serializer stores integers as plain numbers (no pickle).
    ints = {key: int(value) for key, value in zip(keys, raw, strict=False) if value is not None}
    return ints, _decoded(dict(zip(others, raw[len(keys) :], strict=True)))


def _decoded(raw: dict[str, bytes | None]) -> dict[str, object]:
    """Values read with the kept client, as cache.get would return them (Django's Redis
    serializer); keys holding nothing are left out."""
    return {
        key: _Undecoded(value) if key in _decoded_when_asked else _loads(value)
        for key, value in raw.items()
        if value is not None
    }


def _loads(value: bytes) -> object:
    """A value read with the kept client, decoded as cache.get would (Django's serializer)."""
    return caches["default"]._cache._serializer.loads(value)


def read_stock_versions(variant_ids: list[int]) -> tuple[int, list[int]] | None:
    """(version of `stock-locations`, [version of `stock:<id>` for each id, in order]) in one
    cache round trip, or None when the cache is unavailable.

    read_versions for the many scopes a listing's availability names (a search page: ~150),
    without its cost per scope: on Redis the keys are the stock prefix plus the id, one MGET.
    Versions `read_versions_and_stock` read earlier in this request for the same ids are used
    instead, once.
    """
    prefetched = request_memo.take(_PREFETCHED_STOCK)
    if prefetched is not None and prefetched[0] == tuple(variant_ids):
        return prefetched[1]
    client = _kept_redis_client() if cache_available() else None
    names = _stock_key_names(variant_ids) if client is not None else None
    if names is not None:
        try:
            raw = client.mget(names)
        except Exception:  # noqa: BLE001 - any cache failure: the caller reads the database
            report_cache_failure("versions unreadable; pages served")
            return None
        if None in raw:  # scopes never read yet: given a fresh version here
            missing = [name for name, value in zip(names, raw, strict=True) if value is None]
            try:
                started = dict(
                    zip(missing, _start_names(client, missing, time.time_ns()), strict=True)
                )
            except Exception:  # noqa: BLE001
                report_cache_failure("versions unreadable; pages served")
                return None
            raw = [
                started[name] if value is None else value
                for name, value in zip(names, raw, strict=True)
            ]
        if None not in raw:
            return int(raw[0]), list(map(int, raw[1:]))
    # Another cache (or a key function of its own): the general way.
    versions = read_versions([STOCK_LOCATIONS, *map(stock_scope, variant_ids)])
    if versions is None:
        return None
    return versions[STOCK_LOCATIONS], [versions[stock_scope(v)] for v in variant_ids]


def read_stock_stamp(variant_ids: list[int]) -> tuple[int, tuple[int, ...]] | None:
    """What the availability of `variant_ids` is read under now: (the locations' version, each
    variant's stock version), or None when the cache is unavailable.

    Equal stamps mean no stock write in between, so what was built from the availability read
    under one (a rendered page) may stand for the other; callers trust that for at most
    AVAILABILITY_CACHE_SECONDS, which heals a version bump lost in an outage
    (storefront.html_cache). The versions stay prefetched for the availability read that
    follows when the stamp alone does not do.
    """
    versions = read_stock_versions(variant_ids)
    if versions is None:
        return None
    request_memo.keep(_PREFETCHED_STOCK, (tuple(variant_ids), versions))
    return versions[0], tuple(versions[1])


def _stock_key_names(variant_ids: list[int]) -> list[str] | None:
    """The Redis names of `stock-locations` and of each variant's stock version, built as the
    stock prefix plus the id; None under a custom key function (read_versions then)."""
    backend = caches["default"]
    prefix = backend.make_key(_VERSION_PREFIX + "stock:")
    if backend.make_key(_VERSION_PREFIX + "stock:1") != prefix + "1":
        return None
    return [backend.make_key(_VERSION_PREFIX + STOCK_LOCATIONS)] + [
        prefix + variant_id for variant_id in map(str, variant_ids)
    ]


def bump_versions(scopes: Iterable[str]) -> None:
    """Bump each scope's version once the current transaction commits (now, outside one).

    Called by the write services (catalog.services, shop.selectors.clear_market_cache); a
    rolled-back write bumps nothing.
    """
    scopes = sorted(set(scopes))
    if scopes:
        transaction.on_commit(lambda: _bump_now(scopes))


def _bump_now(scopes: list[str]) -> None:
    _forget_request_versions(scopes)
    for scope in scopes:
        key = _VERSION_PREFIX + scope
        try:
            try:
                cache.incr(key)
            except ValueError:  # never read yet: any fresh value will do
                cache.set(key, time.time_ns(), timeout=None)
        except Exception:  # noqa: BLE001 - the write committed; its pages age out (TTL)
            logger.warning("cache unavailable; version %s not bumped", scope, exc_info=True)


def bump_stock_versions(scopes: Iterable[str]) -> None:
    """Give each scope a new version now and again once the current transaction commits.

    For availability, which a page must never show stale: the bump at once makes a read later
    in the same transaction (which sees its own write) miss; a read by someone else between
    this bump and the commit still saw the old figure and may have kept it under the new
    version, which the bump after commit leaves unreachable. Outside a transaction the write
    has committed already and one bump is enough. New versions are random (not counted up), so
    an evicted or flushed key can never come back to a number some process still holds.
    One round trip per bump whatever the number of scopes.
    """
    scopes = sorted(set(scopes))
    if not scopes:
        return
    request_memo.take(_PREFETCHED_STOCK)  # read before this write: never to be used after it
    _replace_now(scopes)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _replace_now(scopes))


def _replace_now(scopes: list[str]) -> None:
    _forget_request_versions(scopes)
    if not cache_available():
        return  # nothing can be read either; entries kept in processes are short-lived
    versions = {_VERSION_PREFIX + scope: secrets.randbits(62) for scope in scopes}
    try:
        client = _kept_redis_client()
        if client is None:
            cache.set_many(versions, timeout=None)
        else:  # one MSET on the kept client: a reservation's whole cost of keeping pages true
            backend = caches["default"]
            client.mset({backend.make_key(key): value for key, value in versions.items()})
    except Exception:  # noqa: BLE001 - the write stands; kept copies are short-lived
        report_cache_failure("stock versions not bumped; availability")


def versioned_key(name: str, parts: Iterable[object], versions: dict[str, int]) -> str:
    """A cache key for `name` built from `parts` and the versions it depends on.

    Long or free-form parts are hashed, so a key stays short whatever the request held.
    """
    text = "|".join(str(part) for part in parts)
    stamp = ",".join(f"{scope}={versions[scope]}" for scope in sorted(versions))
    digest = hashlib.blake2b(f"{text}#{stamp}".encode(), digest_size=16).hexdigest()
    return f"sf:{name}:{digest}"
