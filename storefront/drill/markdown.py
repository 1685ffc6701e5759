"""A drill's JSON written as Markdown for a runbook (tables GitHub and most wikis render)."""

from __future__ import annotations

from storefront.drill.report import _delta, _target, _value


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render(run: dict, baseline: dict | None = None) -> str:
    profile, figs = run["profile"], run["figures"]
    base_figs = (baseline or {}).get("figures", {})
    out = [
        f"## Peak drill: {profile['name']} × {profile['multiplier']:g} "
        f"({run['started_at'][:16].replace('T', ' ')} UTC)",
        "",
        f"Server {run['base_url']} · {profile['duration_seconds']:g} s offered at "
        f"{profile['rate']:g} arrivals/s (peak {profile['peak_rate']:g}/s, ramp "
        f"{profile['ramp_seconds']:g} s, at most {profile['max_concurrency']} in flight) · "
        f"market {profile['market']} · profile `{profile['source']}` · load average "
        f"{run['load_average']} (before) / {run['load_average_after']} (after) · idle "
        f"GET /healthz p50 {_value(figs.get('idle_healthz_p50_ms'), 'ms')} before the load "
        "(this machine's speed today: read the latencies against it)",
    ]
    if baseline:
        out.append(
            f"Baseline: drill {baseline.get('run_id')} of {baseline.get('started_at', '')[:16]} "
            f"(× {baseline.get('profile', {}).get('multiplier', '?')})"
        )
    out += ["", "### Readiness checklist", ""]
    header = ["#", "Check", "Target", "Measured"]
    header += ["Baseline", "Δ"] if baseline else []
    header.append("Result")
    rows = []
    for number, row in enumerate(run["checklist"], 1):
        unit = row.get("unit", "")
        measured = _value(row["measured"], unit) if "bound" in row else row["measured"]
        cells = [number, row["check"], _target(row), measured]
        if baseline:
            base = base_figs.get(row["key"]) if "bound" in row else None
            cells += [
                _value(base, unit) if base is not None else "",
                _delta(row["measured"], base, unit) if "bound" in row else "",
            ]
        cells.append(
            f"**{row['result']}**" if row["result"] in ("PASS", "FAIL") else row["result"]
        )
        rows.append(cells)
    out += _table(header, rows)
    out += ["", f"**Verdict: {run['verdict']}.**", "", "### Arrivals", ""]
    arrivals = run["arrivals"]
    out += _table(
        ["kind", "offered", "shed", "ok", "placed", "held", "sold out", "errors"],
        [
            [
                kind,
                a["offered"],
                a["shed"],
                a["ok"],
                a["placed"],
                a["held"],
                a["sold_out"],
                a["error"],
            ]
            for kind, a in arrivals.items()
        ],
    )
    out.append("")
    out.append(
        f"{figs['arrivals_started']} of {figs['arrivals_offered']} arrivals started "
        f"({figs['achieved_rate']} /s), {figs['arrivals_unfinished']} unfinished at the end "
        f"({run['seconds']:.0f} s with the drain), "
        f"at most {figs['max_in_flight']} in flight. Orders in the database for this drill: "
        f"{run['server']['orders'] or 'none found (is DATABASE_URL the server’s database?)'}; "
        f"{figs['payment_auth_n']} payment authorizations timed from the server's records."
    )
    out += ["", "### Latency by step (client side, ms)", ""]
    out += _table(
        ["kind", "step", "n", "p50", "p95", "p99"],
        [
            [s["kind"], s["step"], s["n"], s["p50_ms"], s["p95_ms"], s["p99_ms"]]
            for s in run["steps"]
        ],
    )
    out += ["", "### Cache and queues", ""]
    out.append(
        f"Redis keyspace (whole Redis server, every client): {figs['cache_hits']} hits, "
        f"{figs['cache_misses']} misses → {_value(figs['cache_hit_rate'], '%')}."
    )
    out.append("")
    queues = run["queues"]
    if queues:
        out += _table(
            ["Celery queue", "start", "max", "end"],
            [[name, d["start"], d["max"], d["end"]] for name, d in queues.items()],
        )
    else:
        out.append("No Celery queue could be read (broker not Redis?).")
    out += ["", "### Kill switches", ""]
    out += _table(
        ["kind", "rows", "switched off now", "exercised", "outcome"],
        [
            [
                k["kind"],
                k["rows"],
                ", ".join(k["switched_off_now"]) or "none",
                "yes" if k.get("exercised") else "no",
                k.get("outcome", ""),
            ]
            for k in run["kill_switches"]
        ],
    )
    errors = run.get("errors") or []
    if errors:
        out += ["", "### Errors (most frequent)", ""]
        out += [f"- {e['count']} × {e['kind']}: {e['detail']}" for e in errors]
    if run.get("notes"):
        out += ["", "### Notes", ""] + [f"- {note}" for note in run["notes"]]
    return "\n".join(out) + "\n"
