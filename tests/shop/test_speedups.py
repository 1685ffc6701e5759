"""shop.speedups: Django's cookie dates and settings reads, cheaper and answering the same."""

import time

import pytest
from django.conf import LazySettings, settings
from django.http import HttpResponse, response
from django.test import override_settings
from django.utils.http import http_date

from shop.speedups import cookie_date


def test_cookie_dates_are_djangos_to_the_second():
    assert response.http_date is cookie_date
    now = time.time()
    for offset in [0, 0.2, 0.999, 1, 59.5, 86_400 * 365, 86_400 * 365 + 0.75, -3.25]:
        moment = now + offset
        assert cookie_date(moment) == http_date(moment), offset
    assert cookie_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert cookie_date(1_800_000_000.9) == http_date(1_800_000_000)


def test_a_cookie_with_a_max_age_carries_djangos_expires():
    page = HttpResponse()
    before = time.time()
    page.set_cookie("csrftoken", "x", max_age=31_449_600)
    expires = page.cookies["csrftoken"]["expires"]
    assert expires in {http_date(before + 31_449_600 + s) for s in (0, 1, 2)}
    assert page.cookies["csrftoken"]["max-age"] == 31_449_600


def test_settings_are_read_without_lazyobjects_hook_and_still_follow_overrides():
    assert LazySettings.__getattribute__ is object.__getattribute__
    before = settings.STOREFRONT_CACHE_SECONDS
    with override_settings(STOREFRONT_CACHE_SECONDS=before + 7, EMPORIUM_NEW_SETTING="x"):
        overridden = settings.STOREFRONT_CACHE_SECONDS
        assert overridden == before + 7
        assert settings.EMPORIUM_NEW_SETTING == "x"
    restored = settings.STOREFRONT_CACHE_SECONDS
    assert restored == before
    with pytest.raises(AttributeError):
        settings.EMPORIUM_NEW_SETTING  # noqa: B018 - the read is the test
    assert settings.configured is True
    assert "INSTALLED_APPS" in dir(settings)
