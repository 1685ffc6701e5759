"""A peak drill's traffic profile: a JSON file read and checked before anything runs.

    {
      "name": "black-friday-doorbuster",
      "market": "US",
      "base_rate": 6.0,              arrivals per second (a browse is one page, an add is
                                     the product page and add-to-cart, a checkout a whole
                                     guest checkout)
      "duration_seconds": 60,
      "ramp_seconds": 10,            linear from a tenth of the rate to all of it
      "shape": [0.6, 1.0, 1.6, ...], the recorded curve: the duration is cut into equal
                                     segments, each at base_rate x its factor
      "max_concurrency": 32,         arrivals in flight at once; beyond it they are shed
      "mix": {"home": 14, ...},      percent of arrivals per kind (KINDS), summing to 100
      "targets": {"checkout_p99_ms": 800, ...}   TARGETS
    }

Everything is refused with a ProfileError naming the key and the reason: unknown keys, wrong
types, a rate that is zero, negative, not finite or above MAX_ARRIVALS_PER_SECOND at its peak
(rate x multiplier x shape peak), a duration missing or above MAX_DURATION_SECONDS.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

MAX_ARRIVALS_PER_SECOND = 500.0
MAX_DURATION_SECONDS = 900
MAX_CONCURRENCY = 256
MAX_MULTIPLIER = 20.0
MAX_SHAPE_POINTS = 600
MAX_PROFILE_BYTES = 1_000_000
DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "peak_profiles" / "default.json"

BROWSE_KINDS = ("home", "listing", "product", "search")
KINDS = (*BROWSE_KINDS, "add_to_cart", "checkout_storefront", "checkout_api")
CHECKOUT_KINDS = ("checkout_storefront", "checkout_api")
# name -> (what it bounds, lowest allowed, highest allowed); *_ms are upper bounds on a p99,
# error_rate_max an upper bound, cache_hit_rate_min a lower bound, queue_depth_max a bound.
TARGETS = {
    "checkout_p99_ms": ("checkout step p99 (ms)", 1, 600_000),
    "payment_auth_p99_ms": ("payment authorization p99 (ms)", 1, 600_000),
    "atp_read_p99_ms": ("ATP read p99 (ms)", 1, 600_000),
    "order_create_p99_ms": ("order create p99 (ms)", 1, 600_000),
    "error_rate_max": ("error rate", 0, 1),
    "cache_hit_rate_min": ("cache hit rate", 0, 1),
    "queue_depth_max": ("queue depth", 0, 10_000_000),
    "offered_rate_min": ("share of offered arrivals started", 0, 1),
}
KEYS = {
    "name",
    "description",
    "recorded_from",
    "market",
    "base_rate",
    "duration_seconds",
    "ramp_seconds",
    "shape",
    "max_concurrency",
    "mix",
    "targets",
    "queues",
}


class ProfileError(ValueError):
    """The profile (or an option overriding it) is not something the drill will run."""


@dataclass(frozen=True)
class Profile:
    name: str
    base_rate: float
    duration_seconds: float
    mix: dict[str, float]
    targets: dict[str, float]
    market: str = "US"
    ramp_seconds: float = 0.0
    shape: tuple[float, ...] = (1.0,)
    max_concurrency: int = 32
    description: str = ""
    queues: tuple[str, ...] = ()
    multiplier: float = 1.0
    source: str = ""

    @property
    def rate(self) -> float:
        """Arrivals per second at shape factor 1, multiplier applied."""
        return self.base_rate * self.multiplier

    @property
    def peak_rate(self) -> float:
        return self.rate * max(self.shape)

    def rate_at(self, elapsed: float) -> float:
        """The arrival rate `elapsed` seconds into the run (ramp and recorded shape applied)."""
        segment = min(len(self.shape) - 1, int(elapsed / self.duration_seconds * len(self.shape)))
        rate = self.rate * self.shape[max(segment, 0)]
        if self.ramp_seconds and elapsed < self.ramp_seconds:
            rate *= 0.1 + 0.9 * elapsed / self.ramp_seconds
        return rate

    def summary(self) -> dict:
        return {
            "name": self.name,
            "source": self.source,
            "market": self.market,
            "base_rate": self.base_rate,
            "multiplier": self.multiplier,
            "rate": self.rate,
            "peak_rate": self.peak_rate,
            "duration_seconds": self.duration_seconds,
            "ramp_seconds": self.ramp_seconds,
            "shape": list(self.shape),
            "max_concurrency": self.max_concurrency,
            "mix": self.mix,
            "targets": self.targets,
        }


def _number(value, key: str, *, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProfileError(f"{key} must be a number, not {json.dumps(value)[:40]}.")
    if not math.isfinite(value):
        raise ProfileError(f"{key} must be a finite number (an unbounded value is refused).")
    if value < low or (low_open and value == low) or value > high:
        bound = f"above {low:g}" if low_open else f"at least {low:g}"
        raise ProfileError(f"{key} must be {bound} and at most {high:g}; it is {value:g}.")
    return float(value)


def _text(value, key: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        raise ProfileError(f"{key} must be text of 1 to {limit} characters.")
    return value.strip()


def _mix(raw) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise ProfileError(f"mix must be an object of percentages by kind ({', '.join(KINDS)}).")
    unknown = sorted(set(raw) - set(KINDS))
    if unknown:
        raise ProfileError(
            f"mix has unknown kind(s) {', '.join(unknown)}; the kinds are {', '.join(KINDS)}."
        )
    mix = {kind: _number(raw.get(kind, 0), f"mix.{kind}", low=0, high=100) for kind in KINDS}
    total = sum(mix.values())
    if abs(total - 100) > 0.5:
        raise ProfileError(f"mix percentages must sum to 100; they sum to {total:g}.")
    return mix


def _targets(raw) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise ProfileError("targets must be an object (see TARGETS in storefront/drill).")
    unknown = sorted(set(raw) - set(TARGETS))
    if unknown:
        raise ProfileError(
            f"targets has unknown key(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}."
        )
    return {
        key: _number(value, f"targets.{key}", low=TARGETS[key][1], high=TARGETS[key][2])
        for key, value in raw.items()
    }


def _shape(raw) -> tuple[float, ...]:
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_SHAPE_POINTS:
        raise ProfileError(f"shape must be a list of 1 to {MAX_SHAPE_POINTS} rate factors.")
    return tuple(
        _number(v, f"shape[{i}]", low=0, high=MAX_MULTIPLIER, low_open=True)
        for i, v in enumerate(raw)
    )


def parse_profile(
    raw, *, multiplier: float = 1.0, duration: float | None = None, source: str = ""
) -> Profile:
    """Check a decoded profile (and the command's overrides); return it or raise ProfileError."""
    if not isinstance(raw, dict):
        raise ProfileError("A drill profile is a JSON object.")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ProfileError(
            f"Unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}."
        )
    for required in ("name", "base_rate", "duration_seconds", "mix"):
        if required not in raw:
            raise ProfileError(
                f"{required} is missing (a drill must be bounded in rate and time)."
            )
    multiplier = _number(
        multiplier, "--rate-multiplier", low=0, high=MAX_MULTIPLIER, low_open=True
    )
    base_rate = _number(
        raw["base_rate"], "base_rate", low=0, high=MAX_ARRIVALS_PER_SECOND, low_open=True
    )
    if duration is None:
        duration = _number(
            raw["duration_seconds"],
            "duration_seconds",
            low=0,
            high=MAX_DURATION_SECONDS,
            low_open=True,
        )
    else:
        duration = _number(duration, "--duration", low=0, high=MAX_DURATION_SECONDS, low_open=True)
    ramp = _number(raw.get("ramp_seconds", 0), "ramp_seconds", low=0, high=MAX_DURATION_SECONDS)
    ramp = min(ramp, duration)
    shape = _shape(raw.get("shape", [1.0]))
    concurrency = _number(
        raw.get("max_concurrency", 32), "max_concurrency", low=1, high=MAX_CONCURRENCY
    )
    if concurrency != int(concurrency):
        raise ProfileError("max_concurrency must be a whole number.")
    queues = raw.get("queues", [])
    if not isinstance(queues, list):
        raise ProfileError("queues must be a list of Celery queue names.")
    profile = Profile(
        name=_text(raw["name"], "name"),
        description=_text(raw["description"], "description", 2000) if "description" in raw else "",
        market=_text(raw.get("market", "US"), "market", 8).upper(),
        base_rate=base_rate,
        duration_seconds=duration,
        ramp_seconds=ramp,
        shape=shape,
        max_concurrency=int(concurrency),
        mix=_mix(raw["mix"]),
        targets=_targets(raw.get("targets", {})),
        queues=tuple(_text(q, "queues[]", 200) for q in queues),
        multiplier=multiplier,
        source=source,
    )
    if profile.peak_rate > MAX_ARRIVALS_PER_SECOND:
        raise ProfileError(
            f"The profile asks for {profile.peak_rate:g} arrivals/s at its peak (base_rate "
            f"{base_rate:g} x rate multiplier {multiplier:g} x shape peak {max(shape):g}); "
            f"the drill refuses more than {MAX_ARRIVALS_PER_SECOND:g}/s."
        )
    return profile


def load_profile(path: Path | str | None = None, **overrides) -> Profile:
    """Read and check the profile at `path` (the shipped default when None)."""
    path = Path(path) if path else DEFAULT_PROFILE
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise ProfileError(f"The profile {path} is over {MAX_PROFILE_BYTES // 1000} kB.")
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path, bad UTF-8
        raise ProfileError(f"Cannot read the profile {path}: {exc}") from None
    try:
        raw = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"The profile {path} is not valid JSON: {exc}") from None
    return parse_profile(raw, source=str(path), **overrides)


def _refuse_constant(name: str):
    raise ProfileError(f"{name} is not a number the drill accepts (an unbounded value).")
