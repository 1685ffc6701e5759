"""The shop's own settings (every middleware, the same database and cache) with two extra
views: the floor a storefront page cannot go below. benchmarks/storefront_bench.py serves it
under the same gunicorn settings as the shop and reports it beside the pages, against the
minimal-Django ceiling (tests/load/ceiling_app.py, no middleware)."""

from shop.settings import *  # noqa: F403 - the shop's settings, one setting changed

ROOT_URLCONF = "tests.load.floor_urls"
