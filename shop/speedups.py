"""Two of Django's per-request costs made cheaper without changing what they answer; installed
by ShopConfig.ready (tests/shop/test_speedups.py compares each with Django's own).

- **Cookie dates.** `HttpResponse.set_cookie(max_age=…)` formats an `expires` date through the
  e-mail package on every call, and a first visit to any page with a form gets a CSRF cookie:
  ~4% of a warm product page's CPU (measured in one process, alternating blocks of requests
  with and without). The date has a resolution of one second, so the text of the current
  second is kept.
- **Settings reads.** `django.conf.settings` is a LazyObject, whose `__getattribute__` is a
  Python-level hook (there so a proxied dunder method can be hidden from `hasattr`) that runs
  on every settings read, ~30 a request in Django's middleware alone: 1.5-3% of a warm page.
  LazySettings keeps every value it has read in its own `__dict__` (and empties it when
  `override_settings` swaps what it wraps), so the plain attribute lookup finds the same
  value; a name it has not read yet still goes through its `__getattr__`.
"""

from __future__ import annotations

import functools
import math

from django.conf import LazySettings
from django.http import response
from django.utils.http import http_date

_date_of_second = functools.lru_cache(maxsize=4)(http_date)


def cookie_date(epoch_seconds: float) -> str:
    """django.utils.http.http_date(epoch_seconds): the same text, made once per second."""
    return _date_of_second(math.floor(epoch_seconds))


def install() -> None:
    response.http_date = cookie_date  # the name set_cookie calls
    LazySettings.__getattribute__ = object.__getattribute__
