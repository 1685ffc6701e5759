"""Drop mode's admission gate: a Redis token count per SKU in front of PostgreSQL.

A drop's variant gets one token per unit, loaded from ATP (PostgreSQL) the first time a buyer
knocks. Add-to-cart takes `quantity` tokens in one Lua call (check-and-decrement) before it
touches PostgreSQL, so the database sees at most as many reservation attempts as there are
units (plus units given back). Tokens are only an admission ticket: the reservation itself
is still the conditional UPDATE under the StockLevel CHECK constraint, so a wrong token count
can refuse a buyer too early or let one more try, never oversell.

Three answers: admitted, sold out (no tokens: 409 `sold_out`) and busy (more buyers in
flight than DROP_MAX_IN_FLIGHT: 429 `drop_busy`, with a place in a FIFO waiting line that
the waiting-room page shows). Units given back (release, expiry, payment declined,
cancellation) add their tokens back after the transaction commits (`note_released`).

Redis down (any error, or the client's DROP_GATE_TIMEOUT_SECONDS) opens a circuit for
DROP_GATE_RETRY_SECONDS: drop mode then takes the database path, at most
DROP_FALLBACK_MAX_IN_FLIGHT buyers per process at a time, after a plain ATP read. Slower,
still exactly the stock (docs/runbooks.md "Drop mode").
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from inventory import selectors
from inventory.exceptions import DropBusy, DropNotStarted, InsufficientStock, SoldOut
from inventory.selectors import DropRule

logger = logging.getLogger(__name__)

# KEYS: tokens, in-flight (zset member -> admitted at), waiting (member -> arrived at),
# seen (member -> last knock). ARGV: quantity, cap, member, in-flight staleness, patience.
# Returns {1, tokens left} admitted, {0, tokens} not enough tokens, {2, position} busy,
# {3, tokens} sold out to this buyer (the buyers ahead in line take what is left: waiting
# would be for nothing), {-1, 0} tokens not loaded yet.
ADMIT_LUA = """
local qty = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local me = ARGV[3]
local tokens = redis.call('GET', KEYS[1])
if not tokens then return {-1, 0} end
tokens = tonumber(tokens)
if tokens < qty then
  redis.call('ZREM', KEYS[3], me)
  redis.call('ZREM', KEYS[4], me)
  return {0, tokens}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[5]), 'LIMIT', 0, 100)
for _, m in ipairs(gone) do
  redis.call('ZREM', KEYS[3], m)
  redis.call('ZREM', KEYS[4], m)
end
local free = cap - redis.call('ZCARD', KEYS[2])
local rank = redis.call('ZRANK', KEYS[3], me)
if not rank then rank = redis.call('ZCARD', KEYS[3]) end
if rank + qty > tokens then
  -- each buyer ahead in line takes at least one unit: none would be left for this one
  redis.call('ZREM', KEYS[3], me)
  redis.call('ZREM', KEYS[4], me)
  return {3, tokens}
end
if rank < free then
  redis.call('DECRBY', KEYS[1], qty)
  redis.call('ZADD', KEYS[2], now, me)
  redis.call('ZREM', KEYS[3], me)
  redis.call('ZREM', KEYS[4], me)
  return {1, tokens - qty}
end
redis.call('ZADD', KEYS[3], 'NX', now, me)
redis.call('ZADD', KEYS[4], now, me)
return {2, redis.call('ZRANK', KEYS[3], me) + 1}
"""
# KEYS: tokens, in-flight. ARGV: member, tokens to give back (0: none). Leaves the flight.
LEAVE_LUA = """
redis.call('ZREM', KEYS[2], ARGV[1])
local n = tonumber(ARGV[2])
if n > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], n)
end
return -1
"""
# KEYS: tokens. ARGV: units. Refill only a loaded count: an unloaded one reads ATP anyway.
REFILL_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], tonumber(ARGV[1]))
end
return -1
"""

_state = threading.local()
_lock = threading.Lock()
_client = None
_scripts: dict[str, object] = {}
_down_until = 0.0
_rules: tuple[float, dict[str, DropRule], dict[int, DropRule]] = (0.0, {}, {})
_fallback: threading.BoundedSemaphore | None = None


# --- Which SKUs are in drop mode: a tiny table, read at most every DROP_RULES_TTL_SECONDS ---


RULES_CACHE_KEY = "inventory:drop_rules:v1"


def _shared_rules() -> list[DropRule]:
    """The drop SKUs from the shared cache (one Redis read for every process), else from
    PostgreSQL (then cached). A cache outage only means the database is read."""
    try:
        rules = cache.get(RULES_CACHE_KEY)
    except Exception:  # noqa: BLE001
        rules = None
    if rules is None:
        rules = selectors.list_drop_rules()
        try:
            cache.set(RULES_CACHE_KEY, rules, settings.DROP_RULES_SHARED_TTL_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable; drop rules not cached")
    return rules


def _load_rules() -> tuple[dict[str, DropRule], dict[int, DropRule]]:
    global _rules
    expires, by_sku, by_id = _rules
    if time.monotonic() < expires:
        return by_sku, by_id
    rules = _shared_rules()
    by_sku = {r.sku: r for r in rules}
    by_id = {r.variant_id: r for r in rules}
    _rules = (time.monotonic() + settings.DROP_RULES_TTL_SECONDS, by_sku, by_id)
    return by_sku, by_id


def drop_rule_for(sku: str) -> DropRule | None:
    """The drop `sku` is in (scheduled or live), or None. Process-cached for up to
    DROP_RULES_TTL_SECONDS; inventory.services.drops forgets it on commit here."""
    return _load_rules()[0].get(str(sku))


def drop_rule_for_variant(variant_id: int) -> DropRule | None:
    return _load_rules()[1].get(variant_id)


def forget_rules() -> None:
    """Read the drop SKUs afresh: this process now, every process within
    DROP_RULES_TTL_SECONDS (after a drop is scheduled, changed or ended)."""
    global _rules
    _rules = (0.0, {}, {})
    try:
        cache.delete(RULES_CACHE_KEY)
    except Exception:  # noqa: BLE001 - the shared entry expires by its TTL
        logger.warning("cache unavailable; drop rules expire by their TTL")


def check_started(rule: DropRule) -> None:
    """Raise DropNotStarted before the drop's start time."""
    from django.utils import timezone

    if rule.starts_at > timezone.now():
        raise DropNotStarted(rule.sku, starts_at=rule.starts_at)


# --- The Redis side ---


def _keys(rule_or_ids) -> list[str]:
    drop_id, variant_id = rule_or_ids
    # One hash tag per drop SKU: every key of a call lands on the same cluster slot.
    base = f"{settings.DROP_GATE_KEY_PREFIX}:drop:{{{drop_id}:{variant_id}}}"
    return [f"{base}:tokens", f"{base}:inflight", f"{base}:waiting", f"{base}:seen"]


def _redis():
    """The gate's client (its own pool and short timeouts), or None: no Redis configured, or
    the circuit is open after a failure."""
    global _client
    if not settings.DROP_GATE_REDIS_URL or time.monotonic() < _down_until:
        return None
    if _client is None:
        with _lock:
            if _client is None:
                import redis

                timeout = settings.DROP_GATE_TIMEOUT_SECONDS
                pool = redis.BlockingConnectionPool.from_url(
                    settings.DROP_GATE_REDIS_URL,
                    max_connections=settings.DROP_GATE_MAX_CONNECTIONS,
                    timeout=settings.DROP_GATE_POOL_WAIT_SECONDS,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                )
                _client = redis.Redis(connection_pool=pool)
    return _client


def reset_client() -> None:
    """Drop the client and close the circuit (tests, settings changes)."""
    global _client, _down_until, _fallback
    with _lock:
        if _client is not None:
            _client.connection_pool.disconnect()
        _client, _down_until, _fallback = None, 0.0, None
        _scripts.clear()


class PoolBusy(Exception):
    """Every connection of the gate's pool is in use: load, not an outage."""


def _trip(exc: Exception) -> None:
    global _down_until
    was_closed = time.monotonic() >= _down_until
    _down_until = time.monotonic() + settings.DROP_GATE_RETRY_SECONDS
    if not was_closed:
        return
    logger.warning(
        "drop gate: Redis unavailable (%r); database path for %ss",
        exc,
        settings.DROP_GATE_RETRY_SECONDS,
    )


def _run(name: str, source: str, keys: list[str], args: list):
    client = _redis()
    if client is None:
        raise ConnectionError("drop gate circuit open")
    script = _scripts.get(name)
    if script is None:
        script = _scripts[name] = client.register_script(source)
    try:
        return script(keys=keys, args=args, client=client)
    except Exception as exc:
        # BlockingConnectionPool's wait ran out: the pool is busy, Redis is fine.
        if "No connection available" in str(exc):
            raise PoolBusy() from exc
        raise


def load_tokens(rule: DropRule, *, replace: bool = False) -> int:
    """Set the drop SKU's tokens to its ATP now (PostgreSQL). Without `replace` only when no
    count is loaded (SET NX: the first knock wins, later ones keep the live count)."""
    atp = max(0, selectors.total_atp(variant_id=rule.variant_id))
    client = _redis()
    if client is None:
        raise ConnectionError("drop gate circuit open")
    key = _keys((rule.drop_id, rule.variant_id))[0]
    client.set(key, atp, ex=settings.DROP_TOKENS_TTL_SECONDS, nx=not replace)
    return atp


class Admission:
    """A buyer let through the gate; `leave()` once the PostgreSQL work is over."""

    def __init__(self, rule: DropRule, quantity: int, member: str, *, gated: bool):
        self.rule, self.quantity, self.member, self.gated = rule, quantity, member, gated

    def leave(self, *, give_back: bool) -> None:
        if not self.gated:
            _fallback_semaphore().release()
            return
        args = [self.member, self.quantity if give_back else 0]
        for _attempt in range(3):
            try:
                _run("leave", LEAVE_LUA, _keys((self.rule.drop_id, self.rule.variant_id)), args)
                return
            except PoolBusy:
                continue
            except Exception as exc:  # noqa: BLE001 - the in-flight entry goes stale by itself
                _trip(exc)
                return


def admit(rule: DropRule, *, quantity: int, member: str) -> Admission:
    """Let one buyer of `quantity` units through, or raise SoldOut, InsufficientStock (fewer
    tokens than asked) or DropBusy (too many in flight: a place in line). Redis down: the
    database path (see the module docstring)."""
    try:
        return _admit_redis(rule, quantity, member)
    except (SoldOut, DropBusy, InsufficientStock):
        raise
    except PoolBusy:
        raise DropBusy(rule.sku, position=1, retry_after=1, ticket=member) from None
    except Exception as exc:  # noqa: BLE001 - any Redis trouble: the database decides
        if "No connection available" in str(exc):
            raise DropBusy(rule.sku, position=1, retry_after=1, ticket=member) from None
        if not isinstance(exc, ConnectionError) or "circuit open" not in str(exc):
            _trip(exc)
        return _admit_database(rule, quantity)


def _admit_redis(rule: DropRule, quantity: int, member: str) -> Admission:
    keys = _keys((rule.drop_id, rule.variant_id))
    args = [
        quantity,
        settings.DROP_MAX_IN_FLIGHT,
        member,
        settings.DROP_IN_FLIGHT_STALE_SECONDS,
        settings.DROP_WAITING_PATIENCE_SECONDS,
    ]
    for _attempt in range(2):
        status, value = _run("admit", ADMIT_LUA, keys, args)
        if status == -1:
            load_tokens(rule)
            continue
        if status == 1:
            return Admission(rule, quantity, member, gated=True)
        if status == 2:
            retry = min(10, max(1, math.ceil(value / settings.DROP_MAX_IN_FLIGHT)))
            raise DropBusy(rule.sku, position=value, retry_after=retry, ticket=member)
        if value <= 0 or status == 3:
            raise SoldOut(rule.sku, requested=quantity)
        raise InsufficientStock([{"sku": rule.sku, "requested": quantity, "available": value}])
    raise ConnectionError("drop tokens could not be loaded")


def _fallback_semaphore() -> threading.BoundedSemaphore:
    global _fallback
    if _fallback is None:
        with _lock:
            if _fallback is None:
                _fallback = threading.BoundedSemaphore(settings.DROP_FALLBACK_MAX_IN_FLIGHT)
    return _fallback


def _admit_database(rule: DropRule, quantity: int) -> Admission:
    """Redis is down: a plain ATP read answers "sold out" without a lock; otherwise at most
    DROP_FALLBACK_MAX_IN_FLIGHT buyers per process go on to the reservation at a time."""
    semaphore = _fallback_semaphore()
    if not semaphore.acquire(timeout=settings.DROP_FALLBACK_WAIT_SECONDS):
        raise DropBusy(rule.sku, position=1, retry_after=1, ticket="")
    try:
        available = selectors.total_atp(variant_id=rule.variant_id)
    except BaseException:
        semaphore.release()
        raise
    if available <= 0:
        semaphore.release()
        raise SoldOut(rule.sku, requested=quantity)
    return Admission(rule, quantity, "", gated=False)


# --- Giving tokens back when units come back ---


@contextlib.contextmanager
def moving_holds() -> Iterator[None]:
    """Releases inside this block move a hold (cart -> order, old quantity -> new), they do
    not give units back: no tokens are refilled for them."""
    depth = getattr(_state, "moving", 0)
    _state.moving = depth + 1
    try:
        yield
    finally:
        _state.moving = depth


def note_released(units: Iterable[tuple[int, int]]) -> None:
    """(variant_id, units) just given back in the current transaction: refill the drop SKUs'
    tokens after it commits. Called by inventory's release and expiry paths."""
    if getattr(_state, "moving", 0) or not settings.DROP_GATE_REDIS_URL:
        return
    totals: dict[int, int] = {}
    for variant_id, quantity in units:
        if quantity > 0:
            totals[variant_id] = totals.get(variant_id, 0) + quantity
    if not totals:
        return
    refills = []
    for variant_id, quantity in totals.items():
        rule = drop_rule_for_variant(variant_id)
        if rule is not None:
            refills.append((rule, quantity))
    if refills:
        transaction.on_commit(lambda: refill(refills))


def refill(refills: list[tuple[DropRule, int]]) -> None:
    """Add tokens back (after commit). Redis down: nothing; `resync_drop_tokens` repairs."""
    for rule, quantity in refills:
        for _attempt in range(3):
            try:
                _run("refill", REFILL_LUA, _keys((rule.drop_id, rule.variant_id))[:1], [quantity])
                break
            except PoolBusy:
                continue
            except Exception as exc:  # noqa: BLE001 - tokens too low only refuses early
                _trip(exc)
                return


def token_count(rule: DropRule) -> int | None:
    """Tokens left for the drop SKU (None: not loaded or Redis down). For the admin."""
    try:
        client = _redis()
        value = client.get(_keys((rule.drop_id, rule.variant_id))[0]) if client else None
    except Exception:  # noqa: BLE001
        return None
    return None if value is None else int(value)


def forget_tokens(rule_ids: Iterable[tuple[int, int]]) -> None:
    """Delete the keys of ended drops (after commit)."""
    redis_client = _redis()
    if redis_client is None:
        return
    try:
        redis_client.delete(*[key for ids in rule_ids for key in _keys(ids)])
    except Exception as exc:  # noqa: BLE001 - the keys expire by their TTL
        _trip(exc)
