import pytest

from inventory import selectors, services
from inventory.models import MarketRouting, ReservationPolicy, RoutingStrategy
from inventory.services.routing import plan_allocations
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ca(db):
    return market("CA")


@pytest.fixture
def sites(ca):
    """A cheap far US DC, an expensive Canadian DC; both serve Canada."""
    us_dc = LocationFactory(
        code="us-dc", country="US", priority=1, markets=["US", "CA"], shipping_costs={"CA": 300}
    )
    ca_dc = LocationFactory(
        code="ca-dc", country="CA", priority=5, markets=["CA"], shipping_costs={"CA": 900}
    )
    return us_dc, ca_dc


def route(strategy, ca, variants_qty):
    MarketRouting.objects.update_or_create(market=ca, defaults={"strategy": strategy})
    reservations = services.reserve_stock(lines=variants_qty, market=ca, owner=f"cart_{strategy}")
    return sorted((r.variant.sku, r.location.code, r.quantity) for r in reservations)


def test_closest_prefers_the_zone_then_priority(sites, ca):
    us_dc, ca_dc = sites
    v = VariantFactory(sku="A")
    stock(v, us_dc, 5)
    stock(v, ca_dc, 5)

    assert route(RoutingStrategy.CLOSEST, ca, {v: 2}) == [("A", "ca-dc", 2)]


def test_lowest_cost_prefers_the_cheapest_shipping(sites, ca):
    us_dc, ca_dc = sites
    v = VariantFactory(sku="A")
    stock(v, us_dc, 5)
    stock(v, ca_dc, 5)

    assert route(RoutingStrategy.LOWEST_COST, ca, {v: 2}) == [("A", "us-dc", 2)]


def test_fewest_splits_prefers_one_location_for_the_whole_order(sites, ca):
    us_dc, ca_dc = sites
    a, b = VariantFactory(sku="A"), VariantFactory(sku="B")
    stock(a, ca_dc, 5)
    stock(a, us_dc, 5)
    stock(b, us_dc, 5)  # only the US DC has both

    assert route(RoutingStrategy.FEWEST_SPLITS, ca, {a: 1, b: 1}) == [
        ("A", "us-dc", 1),
        ("B", "us-dc", 1),
    ]


def test_closest_splits_a_line_only_when_no_location_can_fill_it(sites, ca):
    us_dc, ca_dc = sites
    v = VariantFactory(sku="A")
    stock(v, us_dc, 3)
    stock(v, ca_dc, 2)

    assert route(RoutingStrategy.CLOSEST, ca, {v: 4}) == [("A", "ca-dc", 2), ("A", "us-dc", 2)]


def test_fewest_splits_takes_the_biggest_piles_first():
    locs = [LocationFactory.build(pk=i, code=f"l{i}", priority=i, country="US") for i in (1, 2, 3)]
    plan = plan_allocations(
        demand={7: 9},
        atp={(7, 1): 2, (7, 2): 3, (7, 3): 6},
        locations=locs,
        strategy=RoutingStrategy.FEWEST_SPLITS,
        market=market("US"),
    )

    assert [(a.location_id, a.quantity) for a in plan.allocations] == [(3, 6), (2, 3)]
    assert plan.short == {}


def test_reservation_policy_most_specific_row_wins(variant, us):
    assert selectors.get_reservation_policy(variant=variant, market=us).mode == "at_checkout"

    ReservationPolicy.objects.create(product=variant.product, mode="at_add_to_cart")
    policy = selectors.get_reservation_policy(variant=variant, market=us)
    assert (policy.mode, policy.ttl_seconds, policy.reserves_at_add_to_cart) == (
        "at_add_to_cart",
        600,
        True,
    )

    ReservationPolicy.objects.create(variant=variant, market=us, mode="at_checkout")
    assert selectors.get_reservation_policy(variant=variant, market=us).mode == "at_checkout"
    eu_policy = selectors.get_reservation_policy(variant=variant, market=market("EU"))
    assert eu_policy.mode == "at_add_to_cart"


def test_default_location_is_the_first_active_by_priority(settings):
    assert selectors.get_default_location() is None
    LocationFactory(code="b", priority=5)
    first = LocationFactory(code="a", priority=1)
    LocationFactory(code="z", priority=0, is_active=False)

    assert selectors.get_default_location() == first
    settings.INVENTORY_DEFAULT_LOCATION = "b"
    assert selectors.get_default_location().code == "b"
