"""Django's `i18n` template tags, with `{% translate "literal" %}` kept per language.

The shop's template engine (shop.template_engine) loads this module under the name `i18n`, so
every `{% load i18n %}` (ours, the admin's, third parties') gets Django's own tags, filters and
nodes, except that a `translate` (`trans`) of a plain string literal keeps what it rendered.

Django's TranslateNode makes a lazy string, translates it through the active translation
(an asgiref Local and the chain of catalogs) and escapes the result on every render: a
storefront checkout rendered ~190 of them, ~1.5 ms of its ~48 ms of Python (measured in one
process, templates 12.6 -> 10.5 ms a checkout), before the customer's pages moved to Jinja2
(storefront.jinja2_env keeps their translations the same way); the admin and the e-mails
still draw through here. For a literal without filters, `noop` or a
message context, the output depends only on the active language, the catalogs and the
context's autoescaping, so it is kept under those: (language, autoescape, literal). The
catalogs are loaded once per process; a test that changes the languages or the locale paths
makes Django load them again, and the kept outputs are dropped with them (`setting_changed`).
Variables, filters, `noop` and `context` go through Django's node unchanged.
"""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags import i18n as django_i18n
from django.utils import translation

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

# {(language, autoescape, literal): the output Django's node rendered for them}
_kept: dict[tuple[str | None, bool, str], str] = {}


class KeptTranslateNode(django_i18n.TranslateNode):
    """TranslateNode of a plain literal: renders through Django once per language."""

    def render(self, context):
        key = (translation.get_language(), context.autoescape, self.filter_expression.var.var)
        value = _kept.get(key)
        if value is None:
            if self.asvar:
                super().render(context)
                value = context[self.asvar]
            else:
                value = super().render(context)
            _kept[key] = value
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _is_plain_literal(node: django_i18n.TranslateNode) -> bool:
    expression = node.filter_expression
    return (
        not node.noop
        and node.message_context is None
        and not expression.filters
        and expression.var.lookups is None  # a literal: "…" or '…'
        and isinstance(expression.var.literal, str)
    )


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = django_i18n.do_translate(parser, token)
    if _is_plain_literal(node):
        node.__class__ = KeptTranslateNode
    return node


def forget_kept_translations() -> None:
    _kept.clear()


@receiver(setting_changed)
def _forget_on_language_settings(*, setting, **kwargs):
    # The settings after which Django itself loads the catalogs again (django.test.signals).
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"}:
        forget_kept_translations()
