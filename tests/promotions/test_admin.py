"""The merchandiser's promotion admin: editor with validation, codes and CSV, simulate, import."""

import pytest
import yaml

from promotions.models import Coupon, Promotion
from promotions.services import import_promotions
from tests.factories.catalog import CategoryFactory, ProductFactory, VariantFactory
from tests.factories.inventory import market
from tests.promotions.rules_fixtures import SPRING_YAML

pytestmark = pytest.mark.django_db
ADD = "/admin/promotions/promotion/add/"


@pytest.fixture
def merch(client, merchandiser):
    for code in ("US", "CA"):
        market(code)
    client.force_login(merchandiser)
    return client


def form(**changes):
    data = {
        "id": "spring",
        "name": "Spring",
        "status": "active",
        "priority": "100",
        "time_zone": "America/New_York",
        "starts_at_local": "2026-03-01T00:00",
        "ends_at_local": "2026-03-15T23:59:59",
        "markets": "US, CA",
        "customer_segment": "new, returning",
        "channels": "web, ios",
        "any_of_categories": "hoodies, tees",
        "min_subtotal_cents": "5000",
        "min_subtotal_of": "matching_lines",
        "action_type": "percent_off",
        "value": "15",
        "applies_to": "matching_lines",
        "excluded_skus": "sku_giftcard_*, sku_clearance_*",
        "stacks_with": "free_shipping_over_50",
        "codes": "spring15",
    }
    data.update(changes)
    return data


def test_the_editor_saves_the_spring_rule_in_the_markets_time_zone(merch):
    response = merch.post(ADD, form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    promotion = Promotion.objects.get(pk="spring")
    # New York keeps daylight time from 8 March 2026: 23:59:59 EDT is 03:59:59Z.
    assert promotion.ends_at.isoformat() == "2026-03-16T03:59:59+00:00"
    expected = yaml.safe_load(SPRING_YAML)
    assert promotion.rule["exclusions"] == expected["exclusions"]
    assert promotion.rule["conditions"]["cart_contains"] == {
        "any_of_categories": ["hoodies", "tees"]
    }
    assert Coupon.objects.get().code == "SPRING15"
    page = merch.get(f"/admin/promotions/promotion/{promotion.pk}/change/").content.decode()
    assert 'value="2026-03-15 23:59:59"' in page or "2026-03-15T23:59:59" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at_local": "2026-02-01T00:00"}, "ends before the promotion starts"),
        ({"value": "150"}, "must be at most 100"),
        (
            {"action_type": "fixed_off", "value": "", "value_by_currency": "EUR=500"},
            "EUR, a currency none of the promotion",
        ),
    ],
)
def test_the_editor_refuses_contradictions(merch, changes, message):
    response = merch.post(ADD, form(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Promotion.objects.exists()


def test_a_sku_pattern_matching_nothing_warns(merch):
    response = merch.post(ADD, form(), follow=True)
    assert "matches no SKU in the catalog yet" in response.content.decode()


def test_generate_codes_then_csv(merch):
    import_promotions([yaml.safe_load(SPRING_YAML)])
    url = "/admin/promotions/promotion/promo_2026_spring_15off/generate/"
    response = merch.post(url, {"count": "25", "pattern": "SPR-????-????", "uses_per_code": "1"})
    assert response.status_code == 302
    csv_text = merch.get(response["Location"]).content.decode()
    rows = csv_text.strip().splitlines()
    assert rows[0] == "code,promotion,uses_allowed,uses_count,active"
    assert len(rows) == 26
    bad = merch.post(url, {"count": "10001", "pattern": "SPR-????"})
    assert bad.status_code == 200 and Coupon.objects.count() == 25


def test_simulate_shows_result_and_reasons(merch):
    import_promotions([{**yaml.safe_load(SPRING_YAML), "time_window": {}}])
    hoodies = CategoryFactory(slug="hoodies")
    VariantFactory(
        product=ProductFactory(categories=[hoodies]), sku="HOOD-1", prices={"USD": 3000}
    )
    us = market("US")
    response = merch.post(
        "/admin/promotions/promotion/simulate/",
        {
            "market": us.pk,
            "channel": "web",
            "first_order": "on",
            "lines": "HOOD-1 1\nNOPE 2",
        },
    )
    page = response.content.decode()
    assert "min_subtotal_not_met — Add $20.00 more to get 15% off hoodies and tees" in page
    assert "Unknown SKUs: NOPE" in page
    response = merch.post(
        "/admin/promotions/promotion/simulate/",
        {
            "market": us.pk,
            "channel": "web",
            "first_order": "on",
            "lines": "HOOD-1 2",
        },
    )
    assert "HOOD-1" not in response.content.decode() or "$9.00" in response.content.decode()


def test_import_page_is_all_or_nothing_and_export_round_trips(merch):
    spring = SPRING_YAML.replace("\n", "\n  ")
    text = f"- {spring}\n- id: broken\n  action: {{type: percent_off, value: 150}}\n"
    response = merch.post("/admin/promotions/promotion/import/", {"text": text})
    assert "must be at most 100" in response.content.decode()
    assert not Promotion.objects.exists()
    response = merch.post("/admin/promotions/promotion/import/", {"text": SPRING_YAML})
    assert response.status_code == 302 and Promotion.objects.count() == 1
    export = merch.post(
        "/admin/promotions/promotion/",
        {
            "action": "export_selected",
            "_selected_action": ["promo_2026_spring_15off"],
        },
    )
    (entry,) = yaml.safe_load(export.content)
    assert entry["exclusions"] == yaml.safe_load(SPRING_YAML)["exclusions"]


def test_the_kill_switch_form_offers_promotions_by_id(merchandiser):
    from shop import ports

    import_promotions([yaml.safe_load(SPRING_YAML)])
    assert ports.kill_switch_targets("promotion") == [
        ("promo_2026_spring_15off", "promo_2026_spring_15off — promo_2026_spring_15off")
    ]


def test_the_list_shows_the_window_in_the_markets_time_zone(merch):
    import_promotions([yaml.safe_load(SPRING_YAML)])
    page = merch.get("/admin/promotions/promotion/").content.decode()
    # markets [US, CA]: the first, CA, is America/Toronto (daylight time from 8 March 2026)
    assert "2026-03-01 00:00:00 EST → 2026-03-16 00:59:59 EDT" in page
    assert "0 / ∞" in page
