"""import_promotions FILE and the import service: the issue's entry as written, all or nothing."""

import json
from datetime import datetime

import pytest
import yaml
from django.core.management import CommandError, call_command

from promotions.engine import parse_rule
from promotions.exceptions import PromotionImportFailed
from promotions.importing import load_entries
from promotions.models import Coupon, Promotion
from promotions.seeding import seed_demo_promotions
from promotions.services import generate_coupons, import_promotions
from tests.factories.inventory import market
from tests.promotions.rules_fixtures import FREE_SHIPPING_YAML, SPRING_YAML

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def markets(db):
    for code in ("US", "CA", "EU"):
        market(code)


def test_spring_entry_imports_exactly_as_written(tmp_path):
    path = tmp_path / "spring.yaml"
    path.write_text(SPRING_YAML)
    call_command("import_promotions", str(path))
    promotion = Promotion.objects.get(pk="promo_2026_spring_15off")
    assert promotion.status == "active"
    assert promotion.priority == 100
    assert promotion.ends_at == datetime.fromisoformat("2026-03-15T23:59:59-05:00")
    assert parse_rule(promotion.rule) == parse_rule(yaml.safe_load(SPRING_YAML))


def test_json_and_lists_import_and_reimport_updates_in_place(tmp_path):
    entries = [yaml.safe_load(SPRING_YAML), yaml.safe_load(FREE_SHIPPING_YAML)]
    path = tmp_path / "promos.json"
    path.write_text(json.dumps(entries))
    call_command("import_promotions", str(path))
    entries[0]["priority"] = 120
    path.write_text(json.dumps(entries))
    call_command("import_promotions", str(path))
    assert Promotion.objects.count() == 2
    assert Promotion.objects.get(pk="promo_2026_spring_15off").priority == 120


def test_codes_are_case_insensitive_and_generated_unique():
    entry = yaml.safe_load(SPRING_YAML) | {
        "coupons": {
            "codes": ["spring15"],
            "generate": {"count": 300, "pattern": "SPR-????-????"},
            "uses_per_code": 1,
        }
    }
    (promotion,) = import_promotions([entry])
    codes = list(promotion.coupons.values_list("code", flat=True))
    assert "SPRING15" in codes and len(set(codes)) == 301
    assert all(c == "SPRING15" or (c.startswith("SPR-") and len(c) == 13) for c in codes)
    more = generate_coupons(promotion=promotion, count=10, pattern="spr-????-????")
    assert len(more) == 10 and Coupon.objects.count() == 311


BAD = [
    ("id: p\naction: {type: percent_off, value: 150}\n", "action.value: must be at most 100"),
    ("id: p\naction: {type: mystery}\n", "unknown action 'mystery'"),
    ("id: p\naction: [unclosed\n", "not valid YAML or JSON at line"),
    ('{"id": "p", "action": {"type": "percent_off", "value": 10}', "not valid YAML or JSON"),
    (
        "id: p\nconditions: {markets: [US]}\naction: {type: fixed_off, value: {EUR: 500}}\n",
        "EUR, a currency none of the promotion's markets uses (USD)",
    ),
    ("just text\n", "expected one promotion entry or a list"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_files_say_what_is_wrong_and_import_nothing(tmp_path, text, message):
    good = SPRING_YAML.replace("\n", "\n  ").rstrip()
    path = tmp_path / "bad.yaml"
    # A good entry first: nothing of it may be left behind.
    path.write_text(
        f"- {good}\n- {text.replace(chr(10), chr(10) + '  ').rstrip()}\n"
        if text.startswith("id:")
        else text
    )
    with pytest.raises(CommandError) as caught:
        call_command("import_promotions", str(path))
    assert message in str(caught.value)
    assert Promotion.objects.count() == 0
    assert Coupon.objects.count() == 0


def test_ten_thousand_codes_pasted_at_once_import_but_one_more_is_refused():
    entry = {
        "id": "p",
        "action": {"type": "percent_off", "value": 10},
        "coupons": {"codes": [f"C{i:05d}" for i in range(10_000)]},
    }
    import_promotions([entry])
    assert Coupon.objects.count() == 10_000
    entry2 = {
        "id": "q",
        "action": {"type": "percent_off", "value": 10},
        "coupons": {"codes": [f"D{i:05d}" for i in range(10_001)]},
    }
    with pytest.raises(PromotionImportFailed, match="at most 10000 codes"):
        import_promotions([entry2])
    assert not Promotion.objects.filter(pk="q").exists()


def test_a_code_of_another_promotion_is_refused():
    import_promotions(
        [
            {
                "id": "p",
                "action": {"type": "percent_off", "value": 10},
                "coupons": {"codes": ["SAVE"]},
            }
        ]
    )
    with pytest.raises(PromotionImportFailed, match="SAVE: already used by promotion p"):
        import_promotions(
            [
                {
                    "id": "q",
                    "action": {"type": "percent_off", "value": 10},
                    "coupons": {"codes": ["save"]},
                }
            ]
        )


def test_load_entries_reads_one_or_many():
    assert len(load_entries(SPRING_YAML)) == 1
    assert len(load_entries(json.dumps([{"id": "a"}, {"id": "b"}]))) == 2


def test_demo_promotions_seed_once():
    assert seed_demo_promotions() == {"promotions_created": 3}
    assert seed_demo_promotions() == {"promotions_created": 0}
    assert Coupon.objects.get().code == "WELCOME10"
