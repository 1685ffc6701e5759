"""manage.py peak_drill: a profile it will not run is refused before anything happens; a tiny
drill against a live server fills the readiness checklist with measured figures, writes its
JSON, and a second drill compares itself with the first. Timings are never asserted."""

import json
import re
import socket
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders.models import Cart, Order
from shop.models import KillSwitch, KillSwitchChange
from shop.services import set_kill_switch
from storefront.drill import load as drill_load
from storefront.drill import report
from storefront.drill import switches as drill_switches
from storefront.drill.profile import DEFAULT_PROFILE, load_profile, parse_profile
from tests.factories.catalog import CategoryFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import ensure_order_config

NOBODY = "http://127.0.0.1:9"  # nothing listens there: a drill that started would say so

TINY = {
    "name": "tiny",
    "market": "US",
    "base_rate": 4,
    "duration_seconds": 3,
    "ramp_seconds": 0,
    "max_concurrency": 8,
    "mix": {
        "home": 10,
        "listing": 10,
        "product": 20,
        "search": 10,
        "add_to_cart": 10,
        "checkout_storefront": 20,
        "checkout_api": 20,
    },
    "targets": {
        "checkout_p99_ms": 60000,
        "payment_auth_p99_ms": 60000,
        "atp_read_p99_ms": 60000,
        "order_create_p99_ms": 60000,
        "error_rate_max": 0.5,
        "cache_hit_rate_min": 0.0,
        "queue_depth_max": 100000,
    },
}


def write(tmp_path, data, name="profile.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def drill(**options):
    out = StringIO()
    call_command("peak_drill", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_the_shipped_profile_is_valid_and_mostly_browsing():
    profile = load_profile(DEFAULT_PROFILE, multiplier=1.5)

    checkouts = profile.mix["checkout_storefront"] + profile.mix["checkout_api"]
    assert (profile.rate, round(sum(profile.mix.values()))) == (9.0, 100)
    assert 1 <= checkouts <= 10
    assert profile.peak_rate == pytest.approx(9.0 * max(profile.shape))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("{not json", "is not valid JSON"),
        ([1, 2], "A drill profile is a JSON object."),
        ({"rate": 5}, "Unknown key(s) rate"),
        ({"base_rate": 0}, "base_rate must be above 0"),
        ({"base_rate": -5}, "base_rate must be above 0"),
        ({"base_rate": "fast"}, 'base_rate must be a number, not "fast"'),
        ({"base_rate": True}, "base_rate must be a number"),
        ('{"name": "x", "base_rate": Infinity}', "Infinity is not a number the drill accepts"),
        ({"base_rate": 1e9}, "base_rate must be above 0 and at most 500"),
        ({"base_rate": 400, "shape": [1, 2]}, "asks for 800 arrivals/s at its peak"),
        ({"duration_seconds": "60s"}, 'duration_seconds must be a number, not "60s"'),
        ({"duration_seconds": 3600}, "duration_seconds must be above 0 and at most 900"),
        ({"mix": {"home": 50, "product": 40}}, "mix percentages must sum to 100; they sum to 90"),
        ({"mix": {"home": 100, "checkout": 0}}, "mix has unknown kind(s) checkout"),
        ({"mix": {"home": 110, "product": -10}}, "mix.home must be at least 0 and at most 100"),
        ({"targets": {"p99": 5}}, "targets has unknown key(s) p99"),
        ({"targets": {"error_rate_max": 2}}, "targets.error_rate_max must be at least 0"),
        ({"shape": []}, "shape must be a list of 1 to 600 rate factors"),
        ({"shape": [1, 0]}, "shape[1] must be above 0"),
        ({"max_concurrency": 10_000}, "max_concurrency must be at least 1 and at most 256"),
        ({"name": "a\u0000b"}, "name must be text of 1 to 200 characters"),
    ],
)
def test_a_profile_the_drill_will_not_run_is_refused_with_a_clear_error(tmp_path, change, message):
    if isinstance(change, dict):
        data = {**TINY, **change}
    else:
        data = change if isinstance(change, str) else json.dumps(change)

    with pytest.raises(CommandError) as refused:
        drill(base_url=NOBODY, profile=write(tmp_path, data))

    assert message in str(refused.value)
    assert "Nothing was run." in str(refused.value)


def test_a_missing_duration_is_refused(tmp_path):
    data = {k: v for k, v in TINY.items() if k != "duration_seconds"}

    with pytest.raises(CommandError, match="duration_seconds is missing"):
        drill(base_url=NOBODY, profile=write(tmp_path, data))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate_multiplier": 0}, "--rate-multiplier must be above 0"),
        ({"rate_multiplier": -1.5}, "--rate-multiplier must be above 0"),
        ({"rate_multiplier": float("inf")}, "--rate-multiplier must be a finite number"),
        ({"rate_multiplier": 20, "duration": 5}, "asks for 1200 arrivals/s"),
        ({"duration": 10_000}, "--duration must be above 0 and at most 900"),
        ({"base_url": "http://203.0.113.7:8000"}, "is not on loopback"),
        ({"drain_seconds": 1e6}, "--drain-seconds must be 0 to 120"),
        ({"output": "/no/such/dir/out.json"}, "--output: no directory /no/such/dir"),
        ({"output": "out\x00.json"}, "--output has a NUL byte"),
        ({"base_url": "http://127.0.0.1:port"}, "--base-url is not a URL"),
        ({"base_url": "ftp://127.0.0.1/"}, "--base-url must be an http:// or https:// URL"),
        ({"baseline": "base\x00.json"}, "Cannot read the baseline"),
        ({"profile": "/no/such/profile.json"}, "Cannot read the profile /no/such/profile.json"),
    ],
)
def test_unbounded_or_unsafe_options_are_refused(tmp_path, options, message):
    profile = write(tmp_path, {**TINY, "base_rate": 60})

    with pytest.raises(CommandError) as refused:
        drill(**{"base_url": NOBODY, "profile": profile, **options})

    assert message in str(refused.value)


def test_a_baseline_that_is_not_a_drill_output_is_refused(tmp_path):
    baseline = write(tmp_path, {"figures": "no"}, "baseline.json")

    with pytest.raises(CommandError, match="is not a peak drill's JSON output"):
        drill(base_url=NOBODY, profile=write(tmp_path, TINY), baseline=baseline)


@pytest.mark.django_db
def test_refused_input_changes_nothing(tmp_path):
    set_kill_switch(kind="shipping_method", target="express", is_off=False, reason="seen")
    before = (Cart.objects.count(), Order.objects.count(), KillSwitchChange.objects.count())

    for bad in ({**TINY, "base_rate": -1}, {**TINY, "duration_seconds": 1e9}, "{"):
        with pytest.raises(CommandError):
            drill(base_url=NOBODY, profile=write(tmp_path, bad))

    after = (Cart.objects.count(), Order.objects.count(), KillSwitchChange.objects.count())
    assert after == before


@pytest.mark.django_db
def test_no_server_is_a_clear_error_before_any_traffic(tmp_path):
    ensure_order_config()
    variant = VariantFactory(sku="DRILL-TEE", prices={"USD": 2500})
    stock(variant, LocationFactory(code="us-east", country="US"), 5)

    with pytest.raises(CommandError, match="No server answers at http://127.0.0.1:9"):
        drill(base_url=NOBODY, profile=write(tmp_path, TINY))


@pytest.mark.django_db
def test_a_switch_already_off_is_not_touched():
    set_kill_switch(kind="shipping_method", target="express", is_off=True, reason="carrier strike")

    def never():
        raise AssertionError("the probe must not run")

    entry = drill_switches._flip("shipping_method", "express", "run1", never, never)

    assert (entry["exercised"], entry["why"]) == (
        False,
        "already off before the drill: not touched",
    )
    assert KillSwitch.objects.get(kind="shipping_method", target="express").is_off is True


@pytest.fixture
def shop_to_drill(db):
    ensure_order_config()
    CategoryFactory(name="Apparel", slug="apparel")
    location = LocationFactory(code="us-east", country="US")
    for n in range(3):
        variant = VariantFactory(sku=f"DRILL-{n}", prices={"USD": 2500})
        stock(variant, location, 500)


RESULTS = r"\*\*(PASS|FAIL)\*\*"


@pytest.mark.django_db(transaction=True)
def test_a_tiny_drill_fills_the_checklist_and_writes_its_json(
    live_server, shop_to_drill, tmp_path
):
    output = tmp_path / "drill.json"

    text = drill(
        base_url=live_server.url,
        profile=write(tmp_path, TINY),
        rate_multiplier=1.5,
        output=str(output),
        seed=3,
        exercise_critical=True,
    )

    run = json.loads(output.read_text())
    figs = run["figures"]
    assert "### Readiness checklist" in text
    assert len(re.findall(RESULTS, text)) >= 9  # health, 8 targets, the shipping switch
    assert re.search(
        r"\| ATP read p99 [^|]*\| ≤ 60000\.0 ms \| \d+\.\d ms \| \*\*PASS\*\* \|", text
    )
    assert figs["arrivals_started"] > 0
    assert figs["arrivals_started"] + figs["arrivals_shed"] == figs["arrivals_offered"]
    assert figs["atp_read_p99_ms"] > 0
    assert run["profile"]["multiplier"] == 1.5 and run["profile"]["rate"] == 6.0
    assert run["verdict"] in text
    assert [k["kind"] for k in run["kill_switches"]] == [
        "checkout",
        "market",
        "payment_method",
        "shipping_method",
        "promotion",
    ]
    switch_rows = {
        r["key"]: r["result"] for r in run["checklist"] if r["key"].startswith("switch:")
    }
    assert switch_rows == {
        "switch:shipping_method": "PASS",
        "switch:checkout": "PASS",
        "switch:market": "PASS",
        "switch:payment_method": "PASS",
        "switch:promotion": "not exercised",
    }
    assert not KillSwitch.objects.filter(is_off=True).exists()  # every flip switched back on
    assert figs["idle_healthz_p50_ms"] > 0
    placed = figs["orders_placed"] + figs["orders_held"]
    assert placed == sum(run["server"]["orders"].values())
    assert figs["payment_auth_n"] == placed
    if placed:
        assert figs["order_create_p99_ms"] > 0 and figs["payment_auth_p99_ms"] >= 0


@pytest.mark.django_db(transaction=True)
def test_a_drill_compares_itself_with_a_baseline(live_server, shop_to_drill, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    profile = write(tmp_path, {**TINY, "duration_seconds": 2})
    drill(base_url=live_server.url, profile=profile, output=str(first), no_switches=True)

    text = drill(
        base_url=live_server.url,
        profile=profile,
        rate_multiplier=2,
        baseline=str(first),
        output=str(second),
        no_switches=True,
    )

    baseline = json.loads(first.read_text())
    assert f"Baseline: drill {baseline['run_id']}" in text
    assert "| # | Check | Target | Measured | Baseline | Δ | Result |" in text
    atp_row = next(line for line in text.splitlines() if line.startswith("| 6 | ATP read p99"))
    assert re.search(r"\| \d+\.\d ms \| \d+\.\d ms \| [+-]\d+\.\d ms \([+-]\d+ %\) \|", atp_row)
    assert json.loads(second.read_text())["profile"]["multiplier"] == 2.0


def test_the_rate_follows_the_ramp_and_the_recorded_shape(tmp_path):
    profile = load_profile(
        write(tmp_path, {**TINY, "duration_seconds": 40, "ramp_seconds": 10, "shape": [1, 2]}),
        multiplier=1.5,
    )

    rates = [profile.rate_at(t) for t in (0, 5, 10, 19.9, 20, 39.9)]

    assert rates == pytest.approx([0.6, 3.3, 6.0, 6.0, 12.0, 12.0])
    assert profile.peak_rate == 12.0


def test_a_server_that_never_answers_keeps_the_drill_bounded_in_time_and_threads(tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # connections are accepted by the kernel and never answered
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    profile = load_profile(
        write(tmp_path, {**TINY, "base_rate": 20, "duration_seconds": 1, "max_concurrency": 3})
    )
    plan = drill_load.Plan([{"sku": "S", "handle": "s"}], ["c"], ["word"])

    began = time.perf_counter()
    result = drill_load.run_load(url, profile, plan, run_id="silent", drain_seconds=0.5)
    elapsed = time.perf_counter() - began
    silent.close()

    assert elapsed < 5
    assert (result.max_in_flight, result.unfinished) == (3, 3)
    assert sum(result.shed.values()) == sum(result.offered.values()) - 3 > 0


def test_a_target_nothing_measured_is_no_data_and_not_ready():
    profile = parse_profile({**TINY, "mix": {"home": 100}})
    figs = {"checkout_p99_ms": None, "error_rate": 0.0, "offered_share": 1.0}

    rows = report.checklist(profile, figs, {"before": 200, "after": 200}, [])

    results = {row["key"]: row["result"] for row in rows}
    assert results["checkout_p99_ms"] == "NO DATA"
    assert results["error_rate"] == "PASS"
    assert results["offered_share"] == "—"  # no target set for it in this profile
    assert report.verdict(rows).startswith("NOT READY")
