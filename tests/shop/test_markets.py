import pytest
from django.core.exceptions import ValidationError

from shop.models import Channel, Market
from shop.selectors import find_market, get_market

pytestmark = pytest.mark.django_db


def test_markets_and_channels_are_seeded_by_migration():
    markets = {m.code: (m.currency, m.timezone) for m in Market.objects.all()}

    assert markets == {
        "US": ("USD", "America/New_York"),
        "CA": ("CAD", "America/Toronto"),
        "EU": ("EUR", "Europe/Berlin"),
    }
    assert set(Channel.objects.values_list("code", flat=True)) == {
        "web",
        "ios",
        "pos",
        "marketplace",
    }


def test_get_market_falls_back_to_default_for_unknown_codes():
    assert get_market("ca").code == "CA"
    assert get_market("XX").code == "US"
    assert get_market(None).code == "US"
    assert find_market("XX") is None


def test_market_refuses_unknown_currency_and_timezone():
    market = Market(
        code="ZZ", name="Nowhere", currency="XYZ", timezone="Mars/Olympus", countries=["ZZ"]
    )

    with pytest.raises(ValidationError) as excinfo:
        market.full_clean()

    assert set(excinfo.value.message_dict) == {"currency", "timezone"}


def test_editing_a_market_is_visible_on_the_next_read():
    assert get_market("CA").default_locale == "en"
    market = Market.objects.get(code="CA")
    market.default_locale = "fr"

    market.save()

    assert get_market("CA").default_locale == "fr"


@pytest.mark.django_db(transaction=True)
def test_default_markets_channels_and_groups_come_back_after_a_flush():
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("flush", "--noinput", verbosity=0)

    assert list(Market.objects.values_list("code", flat=True)) == ["US", "CA", "EU"]
    assert Channel.objects.count() == 4
    assert Group.objects.count() == 3


def test_the_customers_pages_speak_the_markets_language_whatever_the_browser_asks(client):
    Market.objects.filter(code="EU").update(default_locale="de")

    page = client.get("/accounts/login/?market=EU", HTTP_ACCEPT_LANGUAGE="fr")

    assert page.status_code == 200
    assert page["Content-Language"] == "de"
    # The page does not differ by the browser's language: caches in front keep one copy.
    assert "accept-language" not in page.get("Vary", "").lower()


@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/products"])
def test_the_admin_and_the_api_negotiate_the_browsers_language(client, path):
    answer = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")

    assert answer.status_code == 200
    assert answer["Content-Language"] == "fr"
    assert "accept-language" in answer["Vary"].lower()


def test_find_open_channel_answers_only_an_open_channel_by_its_exact_code():
    from shop.selectors import find_open_channel

    web = Channel.objects.get(code="web")
    Channel.objects.filter(code="pos").update(is_active=False)

    assert find_open_channel("web") == web
    assert find_open_channel("pos") is None  # closed
    for stranger in ("WEB", "fax", "", "web' OR '1'='1"):
        assert find_open_channel(stranger) is None
    Channel.objects.filter(code="web").update(is_active=False)
    assert find_open_channel("web") is None  # read afresh, not kept
