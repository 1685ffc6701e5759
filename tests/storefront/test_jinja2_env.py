"""The customer-facing pages' Jinja2 environment (storefront/jinja2_env.py): Django's meaning
for what the templates used to say with Django's tags, and what it keeps."""

from datetime import UTC, datetime

import pytest
from django.template import engines
from django.test import override_settings
from django.utils import translation

from storefront import jinja2_env


def draw(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


def test_a_translated_literal_is_escaped_as_djangos_translate_tag_escaped_it():
    assert draw('{{ _("Terms & <conditions>") }}') == "Terms &amp; &lt;conditions&gt;"
    # A block's text is the template's own; what goes into it is escaped.
    assert draw("{% trans n=name %}Hi <b>{{ n }}</b>{% endtrans %}", name="<i>") == (
        "Hi <b>&lt;i&gt;</b>"
    )
    assert draw('{{ _("%(n)s left", n=count) }}', count="<3") == "&lt;3 left"


def test_translations_are_kept_per_language_and_forgotten_when_the_languages_change(
    monkeypatch,
):
    calls = []

    def gettext(message):
        calls.append(message)
        return f"{translation.get_language()}:{message}"

    monkeypatch.setattr(translation, "gettext", gettext)
    jinja2_env._translated.clear()

    with translation.override("fr"):
        assert draw('{{ _("Cart") }}') == "fr:Cart"
    with translation.override("de"):
        assert draw('{{ _("Cart") }}{{ _("Cart") }}') == "de:Cartde:Cart"
    assert calls == ["Cart", "Cart"]  # once per language

    with override_settings(LANGUAGES=[("en", "English")]), translation.override("fr"):
        draw('{{ _("Cart") }}')
    assert calls == ["Cart", "Cart", "Cart"]


def test_dates_are_shown_in_the_time_zone_the_template_names():
    moment = datetime(2026, 1, 1, 3, 30, tzinfo=UTC)

    assert draw('{{ t|date("Y-m-d H:i", "America/New_York") }}', t=moment) == "2025-12-31 22:30"
    assert draw('{{ t|date("Y-m-d H:i", "Europe/Berlin") }}', t=moment) == "2026-01-01 04:30"
    assert draw('{{ t|date("Y-m-d") }}', t=None) == ""


def test_urls_with_arguments_are_reversed_and_without_them_kept():
    assert draw('{{ url("order", "ord_x") }}') == "/orders/ord_x/"
    assert draw("{{ url('cart') }}") == "/cart/"
    with pytest.raises(Exception, match="NoReverseMatch|Reverse"):
        draw('{{ url("order") }}')


def test_djangos_filters_keep_their_meaning():
    assert draw('{{ "<b>a</b>\nb"|linebreaks }}') == "<p>&lt;b&gt;a&lt;/b&gt;<br>b</p>"
    assert draw("{{ 'abcdefgh'|truncatechars(5) }}") == "abcd…"
    assert draw("{{ 1999|money('USD') }}") == "$19.99"
    assert draw("{{ 'a b&c'|urlencode }}") == "a%20b%26c"


def test_a_missing_value_draws_nothing_even_as_djangos_debug_would_draw_it():
    import jinja2

    # What Django's backend passes with DEBUG on (`make run`).
    env = jinja2_env.environment(undefined=jinja2.DebugUndefined, autoescape=True)

    assert env.from_string("[{{ missing }}|{{ missing|urlencode }}]").render() == "[|]"
