"""The template engines the shop renders with.

Django's own (the admin, the e-mails), except that `{% load i18n %}` gives
shop.templatetags.i18n_kept (Django's i18n tags; a `translate` of a literal is kept per
language, the module says why). Jinja2 for the customer-facing pages
(storefront.jinja2_env says why), with the test client's view of what was rendered.

Django reports a library name that two modules claim (templates.W003). That `i18n` is ours is
deliberate, so that one report is left out; any other clash is still reported.
"""

import jinja2
from django.template import TemplateSyntaxError
from django.template.backends.django import DjangoTemplates as DjangosTemplates
from django.template.backends.jinja2 import Jinja2 as DjangosJinja2
from django.template.backends.jinja2 import Template as DjangosJinja2Template
from django.template.backends.jinja2 import get_exception_info
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from django.test.signals import template_rendered
from django.utils.html import format_html

KEPT_I18N = "shop.templatetags.i18n_kept"


class DjangoTemplates(DjangosTemplates):
    def __init__(self, params):
        options = dict(params.get("OPTIONS", {}))
        options["libraries"] = {**options.get("libraries", {}), "i18n": KEPT_I18N}
        super().__init__({**params, "OPTIONS": options})

    def _check_for_template_tags_with_the_same_name(self):
        return [
            error
            for error in super()._check_for_template_tags_with_the_same_name()
            if not (error.msg.startswith("'i18n' is used") and repr(KEPT_I18N) in error.msg)
        ]


class Jinja2(DjangosJinja2):
    """Django's Jinja2 backend whose templates say they were rendered, as Django's own do in
    tests: the test client's `response.context` and `response.templates` come from that
    signal (django.test.signals.template_rendered). Sending it costs nothing when no test
    client listens."""

    def from_string(self, template_code):
        return _Jinja2Template(super().from_string(template_code).template, self)

    def get_template(self, template_name):
        return _Jinja2Template(super().get_template(template_name).template, self)


class _Jinja2Template(DjangosJinja2Template):
    @property
    def name(self) -> str | None:
        return self.template.name

    def render(self, context=None, request=None):
        """Django's Jinja2 render, except that a `csrf_token` the caller gives is kept, as
        Django's own engine keeps it (the caller's context comes before the context
        processors'). storefront.html_cache draws a kept page with a placeholder it fills in
        per visitor; Django's Jinja2 backend put the drawing visitor's token in its place, so
        every later visitor got that token and no cookie to go with it (the form: a 403)."""
        context = {} if context is None else context
        if request is not None:
            context["request"] = request
            token = context.get("csrf_token")
            if token is None:
                context["csrf_input"] = csrf_input_lazy(request)
                context["csrf_token"] = csrf_token_lazy(request)
            else:
                context["csrf_input"] = format_html(
                    '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
                )
            for context_processor in self.backend.template_context_processors:
                context.update(context_processor(request))
        try:
            html = self.template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            new = TemplateSyntaxError(exc.args)
            new.template_debug = get_exception_info(exc)
            raise new from exc
        template_rendered.send(sender=self, template=self, context=context)
        return html
