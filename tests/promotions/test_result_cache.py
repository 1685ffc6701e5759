"""The promotion result cache is shared (Django's cache: Redis here) and keyed by the
promotion-set and price versions: an edit in one process invalidates every other's results.

"Another process" is simulated by dropping this process's local state (selectors.forget):
what is left is only what the shared cache holds.
"""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from catalog import services as catalog_services
from promotions import selectors
from promotions.engine import CartContext, ContextLine
from promotions.services import save_promotion
from tests.factories.catalog import VariantFactory
from tests.factories.shop import StaffFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def entry(percent: int) -> dict:
    return {"id": "tenoff", "action": {"type": "percent_off", "value": percent}}


def context(price: int = 5000) -> CartContext:
    return CartContext(
        lines=(ContextLine(key="l1", sku="SKU-1", quantity=2, unit_price_cents=price),),
        market="US",
        currency="USD",
        channel="web",
        now=NOW,
    )


@pytest.fixture
def evaluations(monkeypatch):
    """How many times the engine really ran (cache misses)."""
    calls = []
    real = selectors.evaluate

    def counting(ctx, rules):
        calls.append(ctx)
        return real(ctx, rules)

    monkeypatch.setattr(selectors, "evaluate", counting)
    return calls


@pytest.fixture
def promotion(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        save_promotion(entry(10))
    selectors.forget()


def test_another_process_reads_the_result_from_the_shared_cache(promotion, evaluations):
    first = selectors.evaluate_live(context())
    selectors.forget()  # another process: nothing local

    again = selectors.evaluate_live(context())

    assert len(evaluations) == 1
    assert again == first and again.lines_discount_cents == 1000


def test_a_promotion_edit_in_one_process_invalidates_another_processs_result(
    promotion, evaluations, django_capture_on_commit_callbacks
):
    assert selectors.evaluate_live(context()).lines_discount_cents == 1000
    with django_capture_on_commit_callbacks(execute=True):  # process A edits
        save_promotion(entry(20))
    selectors.forget()  # process B: only the shared cache and versions

    result = selectors.evaluate_live(context())

    assert result.lines_discount_cents == 2000
    assert len(evaluations) == 2


def test_a_rolled_back_edit_invalidates_nothing(
    promotion, evaluations, django_capture_on_commit_callbacks
):
    selectors.evaluate_live(context())
    with (
        django_capture_on_commit_callbacks(execute=True) as bumps,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        save_promotion(entry(20))
        raise RuntimeError("rolled back")
    selectors.forget()

    assert bumps == []

    assert selectors.evaluate_live(context()).lines_discount_cents == 1000
    assert len(evaluations) == 1


def test_a_price_change_invalidates_cached_results(
    promotion, evaluations, django_capture_on_commit_callbacks
):
    variant = VariantFactory(sku="SKU-PRICED", prices={"USD": 5000})
    selectors.evaluate_live(context())
    selectors.evaluate_live(context())
    assert len(evaluations) == 1
    before = selectors.live_promotions().version

    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.set_variant_prices(
            variant=variant, prices={"USD": (4500, None)}, actor=StaffFactory()
        )
    after = selectors.live_promotions().version
    selectors.evaluate_live(context())

    assert after["prices"] != before["prices"]
    assert after["promotions"] == before["promotions"]  # the parsed rules stay
    assert len(evaluations) == 2
