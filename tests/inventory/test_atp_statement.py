"""available_quantities' PostgreSQL statement (one array parameter, built once) answers what
the ORM's aggregate over ATP_EXPRESSION answers, whatever the stock looks like."""

import pytest
from django.db.models import Sum, Value
from django.db.models.functions import Greatest

from inventory import selectors, services
from inventory.models import ATP_EXPRESSION, StockLevel
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = pytest.mark.django_db


def _orm(variant_ids, us):
    rows = (
        StockLevel.objects.filter(
            variant_id__in=variant_ids, location__is_active=True, location__markets=us
        )
        .values("variant_id")
        .annotate(atp=Sum(Greatest(ATP_EXPRESSION, Value(0))))
        .order_by()
    )
    found = {row["variant_id"]: max(0, row["atp"] or 0) for row in rows}
    return {vid: found.get(vid, 0) for vid in variant_ids}


def test_the_statement_agrees_with_the_orm_over_locations_markets_and_safety_stock():
    us = market("US")
    east = LocationFactory(code="east", markets=["US"])
    west = LocationFactory(code="west", markets=["US", "CA"])
    canada = LocationFactory(code="yyz", markets=["CA"])
    closed = LocationFactory(code="closed", markets=["US"])
    variants = [VariantFactory() for _ in range(6)]
    stock(variants[0], east, 5)
    stock(variants[0], west, 3)
    stock(variants[1], east, 2, safety_stock=4)  # below zero here counts as zero
    stock(variants[1], west, 6)
    stock(variants[2], canada, 9)  # not sold in the US from there
    stock(variants[3], closed, 7)
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    stock(variants[4], east, 4)
    services.reserve_stock(lines=[(variants[4], 3)], market=us, owner="cart_1")
    ids = [v.pk for v in variants]

    assert selectors.available_quantities(variant_ids=ids, market=us) == _orm(ids, us)
    assert selectors.available_quantities(variant_ids=ids, market=us) == {
        ids[0]: 8,
        ids[1]: 6,
        ids[2]: 0,
        ids[3]: 0,
        ids[4]: 1,
        ids[5]: 0,
    }


def _three_variants_with_four_units_each():
    us = market("US")
    east = LocationFactory(code="east", markets=["US"])
    variants = [VariantFactory() for _ in range(3)]
    for variant in variants:
        stock(variant, east, 4)
    return us, [v.pk for v in variants]


def test_the_statement_is_prepared_once_per_connection_and_finds_rows_by_variant():
    from django.db import connection

    us, ids = _three_variants_with_four_units_each()

    first = selectors.available_quantities(variant_ids=ids, market=us)
    second = selectors.available_quantities(variant_ids=ids[:1], market=us)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%location_id + 0 = ANY%"],
        )
        (prepared,) = cursor.fetchone()
        cursor.execute(
            "EXPLAIN "
            + selectors._atp_by_variant_sql().replace("%s", "{}").format(f"'{{{ids[0]}}}'", us.pk)
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # Planned once on this connection (Django binds on the client and would plan every
    # page's query again), and the stock rows are reached by variant, never by scanning the
    # location's whole catalog.
    assert first == dict.fromkeys(ids, 4) and second == {ids[0]: 4}
    assert prepared == 1
    assert "inventory_stocklevel_location_id" not in plan


def test_the_statement_keeps_one_generic_plan_instead_of_planning_every_run():
    """Left to choose, PostgreSQL planned it afresh on every run (a custom plan each time:
    most of its work); shop.prepared.keep_generic_plans makes every new connection keep one."""
    from django.db import connection

    us, ids = _three_variants_with_four_units_each()

    for run in range(8):  # `auto` decides after five runs; any later run would show it
        assert selectors.available_quantities(variant_ids=ids[: 1 + run % 3], market=us)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        (mode,) = cursor.fetchone()
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%location_id + 0 = ANY%"],
        )
        plans = cursor.fetchall()

    assert mode == "force_generic_plan"
    assert len(plans) == 1 and plans[0][1] == 0 and plans[0][0] >= 8
