"""Replay a peak traffic shape against a running shop and fill in the readiness checklist.

    python manage.py peak_drill --base-url http://127.0.0.1:8000 --rate-multiplier 1.5 \
        --baseline last-drill.json --output this-drill.json [--profile FILE] [--duration S]

Run it with the server's own settings (DATABASE_URL, REDIS_URL): the drill reads the catalog
for what to browse and buy, the payment authorizations of its own orders and Redis's counters.
It writes only what its traffic writes (carts, guest orders by drill-<run>-N@example.com) and
the kill-switch flips it exercises (docs/runbooks.md, "Peak drill").
"""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from storefront.drill import load as drill_load
from storefront.drill import markdown, report, server, switches
from storefront.drill.profile import CHECKOUT_KINDS, KINDS, ProfileError, load_profile

MAX_DRAIN_SECONDS = 120


def _load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


class Command(BaseCommand):
    help = "Replay a peak traffic profile against a running shop; print the readiness checklist."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--profile", help="a drill profile (JSON); default: the shipped one")
        parser.add_argument("--rate-multiplier", type=float, default=1.0)
        parser.add_argument("--duration", type=float, help="seconds, overriding the profile's")
        parser.add_argument("--baseline", help="a previous drill's --output, for delta columns")
        parser.add_argument("--output", help="write this drill's figures as JSON here")
        parser.add_argument("--markdown", help="also write the Markdown report here")
        parser.add_argument("--plan", help="tests/load/checkout_mix.py prepare's output")
        parser.add_argument("--allow-remote", action="store_true", help="a non-loopback server")
        parser.add_argument(
            "--exercise-critical",
            action="store_true",
            help="also flip checkout, the market and card payments off for a few seconds",
        )
        parser.add_argument("--no-switches", action="store_true", help="exercise no switch")
        parser.add_argument("--drain-seconds", type=float, default=30.0)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--strict", action="store_true", help="exit 1 when NOT READY")

    def handle(self, *args, **options):
        profile, baseline = self._check_input(options)
        base_url = options["base_url"].rstrip("/")
        try:
            plan = server.build_plan(
                profile.market, Path(options["plan"]) if options["plan"] else None
            )
        except ProfileError as exc:
            raise CommandError(str(exc)) from None
        health_before, health_body = drill_load.get_status(base_url, "/healthz")
        if health_before == 0:
            raise CommandError(f"No server answers at {base_url} (start it first); nothing run.")
        run_id = secrets.token_hex(4)
        run = self._drill(base_url, profile, plan, run_id, health_before, options)
        run["server"]["healthz_before"] = health_body
        if options["output"]:
            Path(options["output"]).write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
        text = markdown.render(run, baseline)
        if options["markdown"]:
            Path(options["markdown"]).write_text(text, encoding="utf-8")
        self.stdout.write(text)
        if options["strict"] and not run["verdict"].startswith("READY"):
            raise SystemExit(1)

    def _check_input(self, options):
        """Everything the user gave is checked before anything runs (CommandError)."""
        try:
            profile = load_profile(
                options["profile"],
                multiplier=options["rate_multiplier"],
                duration=options["duration"],
            )
            baseline = report.load_baseline(options["baseline"]) if options["baseline"] else None
        except ProfileError as exc:
            raise CommandError(f"{exc} Nothing was run.") from None
        if profile.market != "US" and any(profile.mix[k] for k in CHECKOUT_KINDS):
            raise CommandError(
                "Checkouts replay storefront/drill/buyers.py's US guest (US address, USD): set "
                "the profile's market to US or its checkout weights to 0. Nothing was run."
            )
        wrong_url = drill_load.check_base_url(options["base_url"])
        if wrong_url:
            raise CommandError(f"{wrong_url}. Nothing was run.")
        if not drill_load.is_loopback(options["base_url"]) and not options["allow_remote"]:
            raise CommandError(
                f"{options['base_url']} is not on loopback; a drill loads the server it "
                "points at: pass --allow-remote to mean it. Nothing was run."
            )
        if not 0 <= options["drain_seconds"] <= MAX_DRAIN_SECONDS:
            raise CommandError(
                f"--drain-seconds must be 0 to {MAX_DRAIN_SECONDS}. Nothing was run."
            )
        for key in ("output", "markdown", "plan"):
            if options[key] and "\x00" in options[key]:
                raise CommandError(f"--{key} has a NUL byte. Nothing was run.")
        for key in ("output", "markdown"):
            if options[key] and not Path(options[key]).resolve().parent.is_dir():
                raise CommandError(
                    f"--{key}: no directory {Path(options[key]).parent}. Nothing was run."
                )
        return profile, baseline

    def _drill(self, base_url, profile, plan, run_id, health_before, options) -> dict:
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        load_before = _load_average()
        idle_ms = drill_load.idle_reference_ms(base_url)
        watch = server.RedisWatch(server.queue_names(profile.queues))
        self.stderr.write(
            f"peak drill {run_id}: {profile.duration_seconds:g} s at {profile.rate:g} "
            f"arrivals/s (peak {profile.peak_rate:g}/s) against {base_url}…"
        )
        watch.start()
        try:
            result = drill_load.run_load(
                base_url,
                profile,
                plan,
                run_id=run_id,
                seed=options["seed"],
                drain_seconds=options["drain_seconds"],
            )
        finally:
            watch.stop()
        health_after, health_body = drill_load.get_status(base_url, "/healthz")
        load_after = _load_average()
        exercised = []
        if not options["no_switches"]:
            exercised = switches.exercise_switches(
                base_url, plan, run_id, critical=options["exercise_critical"]
            )
        auth_ms = server.payment_authorizations_ms(run_id)
        figs = report.figures(
            result, auth_ms, watch.cache_figures(), watch.depths, profile.duration_seconds
        )
        figs["idle_healthz_p50_ms"] = idle_ms
        health = {"before": health_before, "after": health_after, "after_body": health_body}
        rows = report.checklist(profile, figs, health, exercised)
        return {
            "version": report.JSON_VERSION,
            "run_id": run_id,
            "started_at": started_at,
            "base_url": base_url,
            "seconds": result.seconds,
            "load_average": load_before,
            "load_average_after": load_after,
            "profile": profile.summary(),
            "figures": figs,
            "checklist": rows,
            "verdict": report.verdict(rows),
            "steps": report.step_table(result),
            "arrivals": _arrivals(result),
            "queues": watch.depths if watch.broker is not None else {},
            "kill_switches": _switch_summary(switches.list_switches(), exercised),
            "server": {
                "orders": server.drill_orders(run_id),
                "health": health,
                "healthz_after": health_body,
            },
            "errors": _errors(result),
            "notes": watch.errors[:5],
        }


def _arrivals(result) -> dict:
    counts = Counter((s.kind, s.result) for s in result.samples)
    return {
        kind: {
            "offered": result.offered[kind],
            "shed": result.shed[kind],
            **{r: counts[(kind, r)] for r in ("ok", "placed", "held", "sold_out", "error")},
        }
        for kind in KINDS
        if result.offered[kind]
    }


def _errors(result) -> list[dict]:
    found = Counter((s.kind, s.detail) for s in result.samples if s.result == "error")
    return [{"kind": k, "detail": d, "count": n} for (k, d), n in found.most_common(5)]


def _switch_summary(existing: list[dict], exercised: list[dict]) -> list[dict]:
    by_kind = {e["kind"]: e for e in exercised}
    summary = []
    for switch in existing:
        done = by_kind.get(switch["kind"], {})
        if done.get("exercised"):
            outcome = (
                f"{done['target']}: off honoured in {report._fmt_ms(done.get('honoured_ms'))}, "
                f"back on in {report._fmt_ms(done.get('restored_ms'))}"
            )
        else:
            outcome = done.get("why", "not exercised (--no-switches)")
        summary.append({**switch, "exercised": bool(done.get("exercised")), "outcome": outcome})
    return summary
