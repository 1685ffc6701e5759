"""The load script's checkout against a live server, once each way, so it does not rot between
benchmark runs (its timings are the benchmark's business, never asserted here)."""

import time

import pytest

from storefront.drill import buyers
from tests.load import checkout_mix as mix

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("way", ["storefront", "api"])
def test_a_buyer_checks_out_through_every_step(live_server, product, way):
    checkout, steps = buyers.WAYS[way]

    outcome = checkout(buyers.Http(live_server.url), **product, email="load@example.com")

    assert (outcome.result, outcome.detail) == ("placed", "")
    assert list(outcome.timings) == steps


@pytest.mark.parametrize("way", ["storefront", "api"])
def test_buyers_beyond_the_stock_are_told_it_is_sold_out(live_server, product, way):
    work = [[{**product, "email": f"b{n}@example.com"}] for n in range(3)]

    result = mix.run_buyers(live_server.url, 3, work, way)

    assert sorted(o.result for o in result.outcomes) == ["placed", "placed", "sold_out"]


@pytest.mark.parametrize("way", ["storefront", "api"])
def test_with_a_checkout_lane_only_placing_the_order_goes_to_the_lane(
    live_server, product, way, monkeypatch
):
    sent: list[tuple[str, str, str]] = []
    real_connect = buyers._connect

    def recording_connect(url):
        connection, name = real_connect(url), "lane" if url.endswith("#lane") else "main"
        real_request = connection.request

        def request(method, path, *args, **kwargs):
            sent.append((name, method, path))
            return real_request(method, path, *args, **kwargs)

        connection.request = request
        return connection

    monkeypatch.setattr(buyers, "_connect", recording_connect)
    checkout, _steps = buyers.WAYS[way]

    http = buyers.Http(live_server.url, lane_url=live_server.url + "/#lane")
    outcome = checkout(http, **product, email="lane@example.com")

    assert outcome.result == "placed"
    on_lane = [(method, path) for name, method, path in sent if name == "lane"]
    assert on_lane == [("POST", "/checkout/place/" if way == "storefront" else "/api/v1/orders")]
    assert len(sent) > len(on_lane)


def test_a_buyer_whose_review_page_finds_the_stock_gone_is_sold_out(
    live_server, product, monkeypatch
):
    # The review page checks stock again and shows no place-order button when a line is gone
    # (someone took the last units during this buyer's checkout steps): the buyer is sold
    # out, not an error (the flash case once counted the CSRF 403 of posting without a form).
    from inventory import services as inventory
    from shop import selectors as shop_selectors

    original_visit = buyers.Browser.visit

    def visit(browser, method, path, form=None):
        if (form or {}).get("card_number"):  # the payment step, which leads to the review
            inventory.reserve_stock(
                lines=[(product["sku"], 2)],
                market=shop_selectors.find_market("US"),
                owner="cart_someone_else",
            )
        return original_visit(browser, method, path, form)

    monkeypatch.setattr(buyers.Browser, "visit", visit)

    outcome = buyers.storefront_checkout(
        buyers.Http(live_server.url), **product, email="late@example.com"
    )

    assert (outcome.result, outcome.detail) == ("sold_out", "review: no place-order form")


def _recording_way(monkeypatch) -> list[float]:
    """A `way` that only notes when each buyer began its checkout."""
    began: list[float] = []

    def checkout(http, **job):
        began.append(time.monotonic())
        return buyers.Outcome("placed", {"place": 0.0})

    monkeypatch.setitem(mix.WAYS, "recorded", (checkout, ["place"]))
    return began


@pytest.mark.django_db(transaction=False)
def test_the_mix_buyers_arrive_at_the_spawn_rate_not_in_one_instant(monkeypatch):
    began = _recording_way(monkeypatch)
    monkeypatch.setattr(mix, "SPAWN_RATE", 20.0)

    mix.run_mix("http://127.0.0.1:9", {"mix": [{"sku": "S", "handle": "h"}]}, (5,), "recorded")

    assert len(began) == 5 * 6
    starts = sorted(began)
    # Each buyer's checkouts take no time here, so the 5 buyers' six each come in 5 bursts.
    bursts = [starts[n * 6] for n in range(5)]
    gaps = [later - earlier for earlier, later in zip(bursts, bursts[1:], strict=False)]
    assert all(0.04 <= gap < 0.2 for gap in gaps), gaps


@pytest.mark.django_db(transaction=False)
def test_the_flash_buyers_arrive_together(monkeypatch):
    began = _recording_way(monkeypatch)

    mix.run_flash("http://127.0.0.1:9", {"sku": "S", "handle": "h"}, 5, "herd", "recorded")

    assert len(began) == 5
    assert max(began) - min(began) < 0.04


@pytest.mark.django_db(transaction=False)
def test_the_run_names_the_interpreter_and_how_libpython_is_linked():
    import platform
    import sys
    from pathlib import Path

    said = mix.interpreter()

    assert said.startswith(f"Python {platform.python_version()} at {sys.executable}")
    maps = Path("/proc/self/maps")
    if maps.exists():
        lines = maps.read_text().splitlines()
        shared = [line.split()[-1] for line in lines if "/libpython" in line]
        expected = f", shared {shared[0]}" if shared else ", libpython linked in"
        assert said.endswith(expected)
