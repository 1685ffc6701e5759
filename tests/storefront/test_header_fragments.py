"""The header's fragments (category nav, market selector, mini cart) are drawn once per worker
for their inputs (storefront/shell.py `_fragment`) and follow every change
of those inputs."""

import re

import pytest
from django.test import override_settings
from django.utils import translation

from storefront.shell import _fragment, _kept_fragment
from tests.storefront.checkout_support import add

pytestmark = pytest.mark.django_db


def mini_cart(html: str) -> str:
    return re.search(r"<a class=\"header-link cart-link\".*?</a>", html, re.S).group(0)


def market_form(html: str) -> str:
    return re.search(r'<form class="market-form".*?</form>', html, re.S).group(0)


def test_the_same_header_is_drawn_once(client, tee):
    add(client)
    client.get("/cart/")
    drawn = _kept_fragment.cache_info().misses

    client.get("/cart/")

    assert _kept_fragment.cache_info().misses == drawn  # all three came from the worker's copy


def test_the_mini_cart_follows_the_count(client, tee):
    add(client)
    assert 'aria-label="1 item in your cart">1</span>' in mini_cart(
        client.get("/cart/").content.decode()
    )

    add(client, quantity="2")

    html = client.get("/cart/").content.decode()
    assert 'aria-label="3 items in your cart">3</span>' in mini_cart(html)


def test_the_market_selector_follows_the_market_and_the_page(client, tee):
    form = market_form(client.get("/cart/").content.decode())
    assert 'action="/cart/"' in form
    assert '<option value="US" selected>US · USD</option>' in form

    form = market_form(client.get("/cart/?market=CA").content.decode())
    assert '<option value="CA" selected>CA · CAD</option>' in form
    form = market_form(client.get("/p/harbor-tee/?sku=TEE-RED-M").content.decode())
    assert 'action="/p/harbor-tee/"' in form
    assert '<input type="hidden" name="sku" value="TEE-RED-M">' in form


def test_a_fragment_is_kept_per_language():
    items = (("count", 2),)
    with translation.override("fr"):
        french = _fragment("storefront/includes/mini_cart.html", translation.get_language(), items)
    english = _fragment("storefront/includes/mini_cart.html", "en", items)

    assert french is not english
    assert _fragment("storefront/includes/mini_cart.html", "en", items) is english


@override_settings(DEBUG=True)
def test_with_debug_on_nothing_is_kept_so_an_edited_template_shows(client, tee):
    add(client)
    before = _kept_fragment.cache_info()

    client.get("/cart/")

    after = _kept_fragment.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)


def test_the_market_selector_is_kept_once_for_every_page_and_its_path_escaped(rf):
    from shop.models import Market
    from storefront.shell import market_selector

    context = {"markets": list(Market.objects.all()), "current_market": Market.objects.first()}
    first = market_selector({**context, "request": rf.get("/cart/")})
    drawn = _kept_fragment.cache_info().misses

    second = market_selector({**context, "request": rf.get("/orders/ord_abc/")})
    hostile = market_selector({**context, "request": rf.get('/search/"><script>')})

    assert _kept_fragment.cache_info().misses == drawn  # one copy serves every path
    assert 'action="/cart/"' in first and 'action="/orders/ord_abc/"' in second
    assert first.replace("/cart/", "/orders/ord_abc/") == second
    assert 'action="/search/&quot;&gt;&lt;script&gt;"' in hostile
    assert "\x00" not in hostile and "<script>" not in hostile


def test_the_market_selector_keeps_a_pages_query_without_a_copy_per_query(rf):
    # A guest's order page carries its own signed token: one fragment still serves them all.
    from shop.models import Market
    from storefront.shell import market_selector

    context = {"markets": list(Market.objects.all()), "current_market": Market.objects.first()}
    market_selector({**context, "request": rf.get("/orders/ord_abc/")})
    drawn = _kept_fragment.cache_info().misses

    guest = market_selector({**context, "request": rf.get("/orders/ord_abc/?token=t1&market=CA")})
    other = market_selector({**context, "request": rf.get("/orders/ord_xyz/?token=t2")})
    hostile = market_selector({**context, "request": rf.get('/search/?q="><b>&q=2&page=3')})

    assert _kept_fragment.cache_info().misses == drawn
    assert '<input type="hidden" name="token" value="t1">' in guest
    assert 'name="market"' not in guest.split("<select", 1)[0]
    assert '<input type="hidden" name="token" value="t2">' in other and "t1" not in other
    assert (
        '<input type="hidden" name="q" value="&quot;&gt;&lt;b&gt;">'
        '<input type="hidden" name="q" value="2">'
    ) in hostile
    assert 'name="page"' not in hostile and "<b>" not in hostile and "\x00" not in hostile
