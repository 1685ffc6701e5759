"""The shell's fixed links (site_url: reverse() kept per script prefix and URLconf) and
a product card as templates get it (ProductCard.as_shown: its price as shown, its initial)."""

import pytest
from django.template import engines
from django.urls import set_script_prefix

from storefront.selectors import ProductCard

SHELL_LINKS = "{{ site_url('home') }} {{ site_url('search') }} {{ url('cart') }}"


def _shell_links() -> str:
    return engines["jinja2"].from_string(SHELL_LINKS).render({})


def _card(**changes) -> ProductCard:
    fields = {
        "handle": "harbor-tee",
        "url": "/p/harbor-tee/",
        "title": "harbor tee",
        "brand": "",
        "min_price_cents": 2650,
        "max_price_cents": 2650,
        "currency": "USD",
        "image_url": "",
        "image_alt": "",
        "in_stock": None,
        "product_id": 7,
    }
    return ProductCard(**{**fields, **changes})


def test_the_shells_links_follow_the_script_prefix():
    try:
        set_script_prefix("/shop/")
        mounted = _shell_links()
    finally:
        set_script_prefix("/")

    assert mounted == "/shop/ /shop/search /shop/cart/"
    assert _shell_links() == "/ /search /cart/"


@pytest.mark.parametrize(
    ("changes", "price_text"),
    [({}, "$26.50"), ({"max_price_cents": 3000}, "from $26.50"), ({"currency": "EUR"}, "€26.50")],
)
def test_a_cards_price_reads_as_the_money_filter_wrote_it(changes, price_text):
    shown = _card(**changes).as_shown(False, "from")

    assert shown["price_text"] == price_text
    assert shown["in_stock"] is False
    assert shown["initial"] == "H"
    assert shown["url"] == "/p/harbor-tee/"


def test_a_card_without_a_title_has_no_initial():
    assert _card(title="").as_shown(True, "from")["initial"] == ""
