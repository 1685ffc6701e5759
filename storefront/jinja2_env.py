"""The Jinja2 environment of the customer-facing pages (the storefront, sign-in and sign-up,
returns, the error pages); the admin and the e-mails stay Django templates.

Why Jinja2 there: a storefront checkout draws eight pages, and through Django's template engine
drawing them was ~12 ms of the ~60 ms of Python a checkout costs (measured in one process,
per template, docs/orders.md "Load profile"). Jinja2 compiles a template to Python once and
draws the same HTML in a fraction of that. The pages keep their names
(`storefront/checkout/review.html`), so views render them as before; the templates live in
`storefront/jinja2/` and `templates/jinja2/` (Django's Jinja2 backend looks there).

What Django's tags were, and what they are here:
    {% translate "x" %}               {{ _("x") }}
    {% blocktranslate with n=v %}…    {% trans n=v %}…{% endtrans %} (jinja2.ext.i18n)
    {% url "name" a %}                {{ url("name", a) }}
    {% site_url "name" %}             {{ site_url("name") }} (a URL without arguments, kept)
    {% static "x" %}                  {{ static("x") }}
    {% csrf_token %}                  {{ csrf_input }}
    {% now "Y" %}                     {{ now("Y") }}
    {% timezone tz %}{{ t|date:f }}   {{ t|date(f, tz) }}
    {% mini_cart %} …                 {{ mini_cart() }} (storefront.shell)
    {% order_returns o u %}           {{ order_returns(o, u) }} (returns.display)
Filters keep Django's meaning: `money`, `date`, `truncatechars`, `linebreaks`, `json_script`,
`capfirst`, `urlencode`. Django's `default` (for any false value) is written `x or "y"`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import jinja2
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from markupsafe import Markup, escape

from returns import display as returns_display
from shop.templatetags.money import money
from storefront import shell


def url(name: str, *args, **kwargs) -> str:
    """`{% url %}`: the path of the URL `name` with these arguments (kept when it has none, as
    `site_url`)."""
    if not args and not kwargs:
        return shell.site_url(name)
    return reverse(name, args=args, kwargs=kwargs)


# Pages draw ~20 translated literals and a few static files each. Through Django each costs
# ~5-10 µs (the active translation's asgiref Local and catalog chain; the storage's URL), a
# tenth of what drawing a checkout page costs in all, so both are kept: translations per
# language (as shop.templatetags.i18n_kept does for Django's templates), static URLs per path.
# Bounded: a template that translated a variable instead of a literal would grow them.
_KEPT_LIMIT = 10_000
_translated: dict[tuple[str | None, str], str] = {}
_static_urls: dict[str, str] = {}


def kept_gettext(message: str) -> str:
    """gettext, kept per language: what `{% trans %}` blocks translate with."""
    key = (translation.get_language(), message)
    text = _translated.get(key)
    if text is None:
        if len(_translated) >= _KEPT_LIMIT:
            _translated.clear()
        text = _translated[key] = translation.gettext(message)
    return text


def translate(message: str, **variables) -> Markup:
    """`{{ _("literal") }}`, as Django's `{% translate "literal" %}` drew it: the translation
    escaped (Jinja2's own `_` would trust it as markup, and format every one with `%`).
    `variables`: named `%(name)s` placeholders, escaped."""
    drawn = escape(kept_gettext(message))
    return drawn % variables if variables else drawn


def kept_static(path: str) -> str:
    found = _static_urls.get(path)
    if found is None:
        if len(_static_urls) >= _KEPT_LIMIT:
            _static_urls.clear()
        found = _static_urls[path] = static(path)
    return found


@receiver(setting_changed)
def _forget_kept(*, setting, **kwargs):
    # The settings after which Django itself loads the catalogs again, or the static files'
    # storage answers otherwise (django.test.signals).
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"}:
        _translated.clear()
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "DEBUG"}:
        _static_urls.clear()


def now(format_string: str) -> str:
    """`{% now %}`: the current time in the active time zone, formatted."""
    return format_date(timezone.localtime() if settings.USE_TZ else datetime.now(), format_string)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def date(value, format_string: str | None = None, tz=None) -> str:
    """Django's `date` filter on a value shown in the time zone `tz` (a name or a tzinfo; the
    active one when None), as `{% timezone tz %}{{ value|date:f }}{% endtimezone %}` drew it."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime) and settings.USE_TZ and timezone.is_aware(value):
        zone = _zone(tz) if isinstance(tz, str) else tz
        value = timezone.localtime(value, zone)
    return defaultfilters.date(value, format_string)


def environment(**options) -> jinja2.Environment:
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    # A missing value draws nothing, as Django's templates drew it, also with DEBUG on (`make
    # run`): Django's backend would print it as `{{ name }}` there, on the customer's page.
    options["undefined"] = jinja2.Undefined
    env = jinja2.Environment(**options)
    env.install_gettext_callables(
        kept_gettext,
        translation.ngettext,
        newstyle=True,
        pgettext=translation.pgettext,
        npgettext=translation.npgettext,
    )
    env.globals.update(
        _=translate,
        url=url,
        site_url=shell.site_url,
        static=kept_static,
        now=now,
        get_language=translation.get_language,
        mini_cart=shell.mini_cart,
        category_nav=shell.category_nav,
        market_selector=shell.market_selector,
        order_returns=returns_display.order_returns,
        customer_returns=returns_display.customer_returns,
    )
    env.filters.update(
        money=money,
        date=date,
        truncatechars=defaultfilters.truncatechars,
        linebreaks=defaultfilters.linebreaks_filter,
        json_script=defaultfilters.json_script,
        capfirst=defaultfilters.capfirst,
        urlencode=defaultfilters.urlencode,
    )
    return env
