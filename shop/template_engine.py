"""The template engine the shop renders with: Django's own, except that `{% load i18n %}`
gives shop.templatetags.i18n_kept (Django's i18n tags; a `translate` of a literal is kept per
language, the module says why).

Django reports a library name that two modules claim (templates.W003). That `i18n` is ours is
deliberate, so that one report is left out; any other clash is still reported.
"""

from django.template.backends.django import DjangoTemplates as DjangosTemplates

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
