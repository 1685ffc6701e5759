"""The kill switches during a drill: which exist, and proof that the server honours a flip.

A switch is exercised only if it is on when the drill starts: it is switched off through
shop.services.set_kill_switch (so its history says "peak drill"), the running server is asked
over HTTP until it refuses (at most EFFECT_BUDGET_SECONDS), and the switch is switched back on
in a `finally`. A switch already off is left alone.

- shipping_method: a method the drill's buyers do not use (they choose `standard`); the probe
  is an API cart's shipping rates (the method must disappear, then come back). Always safe.
- checkout, market (the drill's), payment_method card: refused for every buyer while off, so
  only with exercise_critical, after the load; the probe is placing an empty API cart, which
  is refused either way (nothing is written): 503 checkout_disabled / 422
  payment_method_unavailable when the switch is honoured, a 4xx about the empty cart when not.
- promotion: never flipped by the drill (it changes live carts' prices); listed only.
"""

from __future__ import annotations

import time
import uuid

from shop import services as shop_services
from shop.models import KillSwitch, KillSwitchKind
from storefront.drill.load import REQUEST_TIMEOUT_SECONDS, Plan, buyers

EFFECT_BUDGET_SECONDS = 3.0
K = KillSwitchKind


def _cart(http: buyers.Http, plan: Plan, with_line: bool) -> str | None:
    status, cart, _ = http.call("POST", "/api/v1/carts", {"market": plan.market, "channel": "web"})
    if status != 201:
        return None
    if with_line:
        line = {"sku": plan.products[0]["sku"], "quantity": 1}
        if http.call("POST", f"/api/v1/carts/{cart['id']}/lines", line)[0] not in (200, 201):
            return None
    return cart["id"]


def _rate_codes(http: buyers.Http, cart_id: str) -> set[str]:
    body = {"email": "drill-probe@example.com", "shipping_address": buyers.ADDRESS}
    status, cart, _ = http.call("PUT", f"/api/v1/carts/{cart_id}/checkout", body)
    if status != 200 or not isinstance(cart, dict):
        return set()
    return {rate["code"] for rate in cart.get("shipping_rates") or []}


def _place_empty(http: buyers.Http, cart_id: str) -> tuple[int, str]:
    status, body, _ = http.call(
        "POST",
        "/api/v1/orders",
        {"cart": cart_id, "payment": {"method": "card", "token": "tok_visa"}},
        {"Idempotency-Key": f"drill-probe-{uuid.uuid4().hex}"},
    )
    return status, body.get("code", "") if isinstance(body, dict) else ""


def _wait_for(check) -> float | None:
    """Milliseconds until check() is true, or None past the budget."""
    began = time.perf_counter()
    while time.perf_counter() - began < EFFECT_BUDGET_SECONDS:
        if check():
            return (time.perf_counter() - began) * 1000
        time.sleep(0.1)
    return None


def list_switches() -> list[dict]:
    """Every kill-switch kind with the rows it has now (target, switched off or on)."""
    rows = list(KillSwitch.objects.order_by("kind", "target").values("kind", "target", "is_off"))
    return [
        {
            "kind": kind.value,
            "label": str(kind.label),
            "switched_off_now": [
                r["target"] or "(all)" for r in rows if r["kind"] == kind and r["is_off"]
            ],
            "rows": sum(1 for r in rows if r["kind"] == kind),
        }
        for kind in K
    ]


def _flip(kind: str, target: str, run_id: str, probe_off, probe_on) -> dict:
    """Switch (kind, target) off, wait for probe_off(), switch it on, wait for probe_on()."""
    entry = {"kind": kind, "target": target or "(all)", "exercised": True}
    if KillSwitch.objects.filter(kind=kind, target=target, is_off=True).exists():
        return {**entry, "exercised": False, "why": "already off before the drill: not touched"}
    if not probe_on():
        return {**entry, "exercised": False, "why": "the probe did not see it on before the flip"}
    reason = f"peak drill {run_id}: exercised for a few seconds, then switched back on"
    try:
        shop_services.set_kill_switch(kind=kind, target=target, is_off=True, reason=reason)
        entry["honoured_ms"] = _wait_for(probe_off)
    finally:
        shop_services.set_kill_switch(kind=kind, target=target, is_off=False, reason=reason)
    entry["restored_ms"] = _wait_for(probe_on)
    entry["ok"] = entry["honoured_ms"] is not None and entry["restored_ms"] is not None
    return entry


def exercise_switches(base_url: str, plan: Plan, run_id: str, *, critical: bool) -> list[dict]:
    """Exercise what is safe (and the critical switches when asked); one entry per kind."""
    http = buyers.Http(base_url)
    http.connection.timeout = REQUEST_TIMEOUT_SECONDS
    results = []
    try:
        results.append(_shipping(http, plan, run_id))
        probes = {
            K.CHECKOUT: ("", 503, "checkout_disabled"),
            K.MARKET: (plan.market, 503, "checkout_disabled"),
            K.PAYMENT_METHOD: ("card", 422, "payment_method_unavailable"),
        }
        empty = _cart(http, plan, with_line=False) if critical else None
        for kind, (target, status, code) in probes.items():
            if not critical:
                why = "not exercised: refuses every buyer while off (pass --exercise-critical)"
                results.append({"kind": kind.value, "target": target or "(all)", "why": why})
                continue
            results.append(_critical(http, kind.value, target, (status, code), empty, run_id))
        results.append(
            {
                "kind": K.PROMOTION.value,
                "target": "",
                "exercised": False,
                "why": "not exercised: flipping a promotion changes live carts' prices",
            }
        )
    finally:
        http.close()
    return results


def _critical(http, kind: str, target: str, refusal: tuple, empty: str | None, run_id) -> dict:
    entry = {"kind": kind, "target": target or "(all)", "exercised": False}
    if empty is None:
        return {**entry, "why": "not exercised: the probe could not create an API cart"}

    def refused() -> bool:
        return _place_empty(http, empty) == refusal

    return _flip(kind, target, run_id, refused, lambda: not refused())


def _shipping(http: buyers.Http, plan: Plan, run_id: str) -> dict:
    cart_id = _cart(http, plan, with_line=True)
    codes = _rate_codes(http, cart_id) if cart_id else set()
    spare = sorted(codes - {"standard"})
    if not spare:
        why = "not exercised: the probe cart was offered no method besides the drill's own"
        return {"kind": K.SHIPPING_METHOD.value, "target": "", "exercised": False, "why": why}
    target = spare[0]
    return _flip(
        K.SHIPPING_METHOD.value,
        target,
        run_id,
        lambda: target not in _rate_codes(http, cart_id),
        lambda: target in _rate_codes(http, cart_id),
    )
