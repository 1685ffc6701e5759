"""{% load i18n %} gives Django's tags with `translate` of a plain literal kept per language
(shop/templatetags/i18n_kept.py): the same output as Django's node, in every language."""

import pytest
from django.template import Context, Engine, engines
from django.templatetags import i18n as django_i18n
from django.test import override_settings
from django.utils import translation

from shop.templatetags import i18n_kept

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture(autouse=True)
def _nothing_kept():
    i18n_kept.forget_kept_translations()
    yield
    i18n_kept.forget_kept_translations()


def _ours(source: str):
    return engines["django"].from_string("{% load i18n %}" + source)


def _djangos(source: str):
    # Django's own library, as an engine without the settings' override loads it.
    engine = Engine(libraries={"i18n": "django.templatetags.i18n"})
    return engine.from_string("{% load i18n %}" + source)


SOURCES = [
    '{% translate "Home" %}',
    "{% trans 'Log out' %}",
    '{% translate "Home" as home %}[{{ home }}]',
    '{% translate "100% <b>sure</b>" %}',
    '{% translate "Home" noop %}',
    '{% translate "May" context "month name" %}',
    '{% translate "home"|upper %}',
    "{% translate word %}",
    "{% blocktranslate with n=word %}Home {{ n }}{% endblocktranslate %}",
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_every_form_renders_as_djangos_own_in_every_language(source, language):
    context = {"word": "Log out"}
    with translation.override(language):
        expected = _djangos(source).render(Context(context))
        first = _ours(source).render(context)
        again = _ours(source).render(context)  # from what was kept, for the kept forms
    assert first == again == expected


def test_a_plain_literal_is_kept_per_language():
    template = _ours('{% translate "Home" %}')
    assert isinstance(template.template.nodelist[-1], i18n_kept.KeptTranslateNode)
    with translation.override("fr"):
        assert template.render({}) == "Accueil"
    with translation.override("de"):
        assert template.render({}) == "Start"
    with translation.override("fr"):
        assert template.render({}) == "Accueil"
    assert {(language, text) for (language, _escape, _), text in i18n_kept._kept.items()} == {
        ("fr", "Accueil"),
        ("de", "Start"),
    }


def test_variables_filters_noop_and_context_go_through_djangos_node():
    for source in ["{% translate word %}", '{% translate "a"|upper %}', '{% trans "a" noop %}']:
        node = _ours(source).template.nodelist[-1]
        assert type(node) is django_i18n.TranslateNode
    template = _ours("{% translate word %}")
    with translation.override("fr"):
        assert template.render({"word": "Home"}) == "Accueil"
        assert template.render({"word": "Log out"}) == "Déconnexion"
    assert not i18n_kept._kept


def test_the_rest_of_the_library_is_djangos():
    template = _ours("{% get_current_language as lang %}{{ lang }} {{ 'fr'|language_name }}")
    with translation.override("de"):
        assert template.render({}) == "de French"


def test_changing_the_language_settings_forgets_what_was_kept():
    with translation.override("fr"):
        _ours('{% translate "Home" %}').render({})
    assert i18n_kept._kept
    with override_settings(LANGUAGES=[("en", "English"), ("fr", "French")]):
        assert not i18n_kept._kept


def test_the_engine_reports_every_other_library_name_clash():
    from django.template import engines as all_engines

    from shop.template_engine import DjangoTemplates

    assert not [e for e in all_engines["django"].check() if e.id == "templates.W003"]
    clashing = DjangoTemplates(
        {
            "NAME": "clash",
            "DIRS": [],
            "APP_DIRS": False,
            "OPTIONS": {"libraries": {"static": "shop.templatetags.money"}},
        }
    )
    reported = [e.msg for e in clashing.check() if e.id == "templates.W003"]
    assert reported == [
        "'static' is used for multiple template tag modules: "
        "'django.templatetags.static', 'shop.templatetags.money'"
    ]
