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
