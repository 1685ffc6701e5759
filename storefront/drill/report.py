"""A drill's figures, its readiness checklist (PASS / FAIL per target) and the Markdown and JSON
it is written as; a previous drill's JSON as the baseline adds delta columns.

No seed document carries a checklist, so this is the one the drill fills in: the server is
healthy before and after, the offered load really ran, errors, checkout / payment
authorization / ATP read / order create p99, cache hit rate, Celery queue depth, and each
kill switch exercised (or why not). A target that was set but could not be measured is NO
DATA, and the verdict is READY only with every targeted check PASS.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from storefront.drill.load import LoadResult
from storefront.drill.profile import CHECKOUT_KINDS, Profile, ProfileError

JSON_VERSION = 1
# figure -> (label, target key, higher is better, unit)
CHECKS = [
    (
        "offered_share",
        "Offered arrivals started (drill not saturated)",
        "offered_rate_min",
        True,
        "%",
    ),
    ("error_rate", "Error rate (arrivals failed or unfinished)", "error_rate_max", False, "%"),
    (
        "checkout_p99_ms",
        "Checkout p99 (each checkout step, both ways)",
        "checkout_p99_ms",
        False,
        "ms",
    ),
    (
        "payment_auth_p99_ms",
        "Payment auth p99 (server: order written → gateway answer recorded)",
        "payment_auth_p99_ms",
        False,
        "ms",
    ),
    (
        "atp_read_p99_ms",
        "ATP read p99 (product page: cached page + live ATP)",
        "atp_read_p99_ms",
        False,
        "ms",
    ),
    (
        "order_create_p99_ms",
        "Order create p99 (place-order call)",
        "order_create_p99_ms",
        False,
        "ms",
    ),
    (
        "cache_hit_rate",
        "Cache hit rate (Redis keyspace, server-wide)",
        "cache_hit_rate_min",
        True,
        "%",
    ),
    ("queue_depth_max", "Celery queue depth, max during the run", "queue_depth_max", False, ""),
]


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _ms(values: list[float], pct: float = 99) -> float | None:
    found = percentile(values, pct)
    return None if found is None else round(found * 1000, 1)


def step_table(load: LoadResult) -> list[dict]:
    by_step = defaultdict(list)
    for sample in load.samples:
        for step, seconds in sample.timings.items():
            by_step[(sample.kind, step)].append(seconds)
    return [
        {
            "kind": kind,
            "step": step,
            "n": len(values),
            "p50_ms": _ms(values, 50),
            "p95_ms": _ms(values, 95),
            "p99_ms": _ms(values, 99),
        }
        for (kind, step), values in by_step.items()
    ]


def figures(
    load: LoadResult, auth_ms: list[float], cache: dict, depths: dict, duration: float
) -> dict:
    """The measured figures, flat, as the JSON keeps them and a baseline compares them."""
    product, checkout, place = [], [], []
    for sample in load.samples:
        for step, seconds in sample.timings.items():
            if step == "product":
                product.append(seconds)
            elif sample.kind in CHECKOUT_KINDS:
                checkout.append(seconds)
                if step == "place":
                    place.append(seconds)
    offered = sum(load.offered.values())
    started = offered - sum(load.shed.values())
    results = Counter(s.result for s in load.samples)
    finished = len(load.samples) + load.unfinished
    maxima = [d["max"] for d in depths.values() if d.get("max") is not None]
    auth = percentile(auth_ms, 99)
    return {
        "arrivals_offered": offered,
        "arrivals_started": started,
        "arrivals_shed": sum(load.shed.values()),
        "arrivals_unfinished": load.unfinished,
        "achieved_rate": round(started / duration, 2),
        "max_in_flight": load.max_in_flight,
        "offered_share": started / offered if offered else None,
        "error_rate": (results["error"] + load.unfinished) / finished if finished else None,
        "checkout_p99_ms": _ms(checkout),
        "payment_auth_p99_ms": None if auth is None else round(auth, 1),
        "payment_auth_n": len(auth_ms),
        "atp_read_p99_ms": _ms(product),
        "order_create_p99_ms": _ms(place),
        "cache_hit_rate": cache.get("hit_rate"),
        "cache_hits": cache.get("hits"),
        "cache_misses": cache.get("misses"),
        "queue_depth_max": max(maxima) if maxima else None,
        "orders_placed": results["placed"],
        "orders_held": results["held"],
        "sold_out": results["sold_out"],
    }


def _judge(value, target, higher_better: bool) -> str:
    if target is None:
        return "—"
    if value is None:
        return "NO DATA"
    ok = value >= target if higher_better else value <= target
    return "PASS" if ok else "FAIL"


def checklist(profile: Profile, figs: dict, health: dict, switches: list[dict]) -> list[dict]:
    rows = [
        {
            "key": "health",
            "check": "Server healthy before and after (/healthz answers 200)",
            "target": "200, 200",
            "measured": f"{health.get('before')}, {health.get('after')}"
            + ("" if health.get("after") == 200 else f" ({str(health.get('after_body'))[:120]})"),
            "result": "PASS" if health.get("before") == health.get("after") == 200 else "FAIL",
        }
    ]
    for key, label, target_key, higher_better, unit in CHECKS:
        target = profile.targets.get(target_key)
        rows.append(
            {
                "key": key,
                "check": label,
                "target": target,
                "bound": "≥" if higher_better else "≤",
                "unit": unit,
                "measured": figs.get(key),
                "result": _judge(figs.get(key), target, higher_better),
            }
        )
    for switch in switches:
        target = f" {switch['target']}" if switch.get("target") else ""
        if switch.get("exercised"):
            result = "PASS" if switch.get("ok") else "FAIL"
            honoured, restored = switch.get("honoured_ms"), switch.get("restored_ms")
            measured = f"off honoured in {_fmt_ms(honoured)}, back on in {_fmt_ms(restored)}"
        else:
            result, measured = "not exercised", switch.get("why", "")
        rows.append(
            {
                "key": f"switch:{switch['kind']}",
                "check": f"Kill switch `{switch['kind']}`{target} honoured by the running server",
                "target": "≤ 3000 ms" if switch.get("exercised") else "",
                "measured": measured,
                "result": result,
            }
        )
    return rows


def _fmt_ms(value) -> str:
    return "never (3 s budget)" if value is None else f"{value:.0f} ms"


def verdict(rows: list[dict]) -> str:
    failed = [r["check"] for r in rows if r["result"] in ("FAIL", "NO DATA")]
    if failed:
        return f"NOT READY: {len(failed)} check(s) failed or had no data"
    return "READY: every targeted check passed"


def load_baseline(path: Path | str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProfileError(f"Cannot read the baseline {path}: {exc}") from None
    if (
        not isinstance(data, dict)
        or data.get("version") != JSON_VERSION
        or not isinstance(data.get("figures"), dict)
    ):
        raise ProfileError(
            f"The baseline {path} is not a peak drill's JSON output (version {JSON_VERSION} "
            "with figures); write one with --output."
        )
    return data


def _value(value, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value * 100:.1f} %"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _delta(value, base, unit: str) -> str:
    if value is None or base is None:
        return ""
    change = value - base
    if unit == "%":
        return f"{change * 100:+.1f} pt"
    relative = f" ({change / base * 100:+.0f} %)" if base else ""
    return f"{change:+.1f}{' ms' if unit == 'ms' else ''}{relative}"


def _target(row: dict) -> str:
    if "bound" not in row:
        return str(row["target"])
    if row["target"] is None:
        return "—"
    return f"{row['bound']} {_value(row['target'], row['unit'])}"
