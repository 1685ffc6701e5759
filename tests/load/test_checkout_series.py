"""benchmarks/checkout_series.py: the figures a bench run writes (`--json`) and what a series of
runs says together. The arithmetic only; the timings themselves are never asserted."""

from benchmarks.checkout_bench import summary_figures
from benchmarks.checkout_series import main, meets_targets, tally
from storefront.drill.buyers import Outcome
from tests.load.checkout_mix import RunResult

TARGETS = {"orders_per_second": 25.0, "place_p99_ms": 250.0}


def _run(ceiling: int, **ways: tuple[float, float]) -> dict:
    return {
        "targets": TARGETS,
        "ceiling": {"1": 1500, "8": 3000, "32": ceiling},
        "mixes": {
            way: {
                "8": {"orders_per_second": 99.0, "place_p99_ms": 1.0, "error": 0},
                "32": {
                    "orders_per_second": rate,
                    "place_p99_ms": p99,
                    "error": 0,
                    "cpu_ms_per_order": 80.0 - rate,
                },
            }
            for way, (rate, p99) in ways.items()
        },
        "flash": {},
    }


def test_a_bench_runs_summary_as_data():
    outcomes = [
        Outcome("placed", {"product": 0.01, "place": seconds}) for seconds in (0.1, 0.2, 0.3)
    ]
    outcomes.append(Outcome("sold_out", {"product": 0.01}))
    result = RunResult(buyers=32, seconds=2.0, outcomes=outcomes, steps=["product", "place"])
    result.cpu_ms_per_order = 74.44

    flash = {"at_checkout": (result, {"placed": 50}, True)}

    figures = summary_figures({"storefront": {32: result}}, {32: 3100.4}, flash)

    assert figures["targets"] == TARGETS
    assert figures["ceiling"] == {"32": 3100}
    assert figures["mixes"]["storefront"]["32"] == {
        "orders_per_second": 1.5,  # 3 placed in 2 s
        "place_p50_ms": 200.0,
        "place_p99_ms": 300.0,
        "cpu_ms_per_order": 74.4,
        "placed": 3,
        "sold_out": 1,
        "error": 0,
    }
    assert figures["flash"] == {"at_checkout": True}


def test_a_run_meets_the_targets_only_with_both():
    assert meets_targets({"orders_per_second": 25.0, "place_p99_ms": 250.0}, TARGETS)
    assert not meets_targets({"orders_per_second": 24.9, "place_p99_ms": 100.0}, TARGETS)
    assert not meets_targets({"orders_per_second": 40.0, "place_p99_ms": 251.0}, TARGETS)


def test_a_series_gives_medians_ranges_and_the_runs_that_met_both_targets():
    runs = [
        _run(3000, storefront=(26.0, 240.0), api=(30.0, 200.0)),
        _run(3400, storefront=(24.0, 230.0), api=(29.0, 210.0)),
        _run(2600, storefront=(28.0, 260.0), api=(31.0, 190.0)),
    ]

    together = tally(runs)

    assert together["runs"] == 3
    assert together["ceiling_median"] == 3000
    storefront = together["ways"]["storefront"]
    assert storefront["orders_per_second_median"] == 26.0
    assert storefront["orders_per_second_range"] == (24.0, 28.0)
    assert storefront["place_p99_ms_median"] == 240.0
    assert storefront["place_p99_ms_range"] == (230.0, 260.0)
    assert storefront["met_both"] == 1  # the second too slow, the third's p99 too long
    assert together["ways"]["api"]["met_both"] == 3
    assert storefront["cpu_ms_per_order_median"] == 54.0


def test_a_series_refuses_no_runs(capsys):
    try:
        main(["--runs", "0"])
    except SystemExit as exit:
        assert exit.code == 2
    else:
        raise AssertionError("--runs 0 was accepted")
    assert "--runs must be at least 1" in capsys.readouterr().err
