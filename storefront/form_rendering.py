"""How the storefront's forms draw their inputs: Django's own Jinja2 form renderer, with the
plain `<input>` drawn directly.

Django draws every input from a template (django/forms/widgets/*.html). Through the Django
template engine that took ~0.18 ms an input, 14 inputs a checkout (2.5 ms of the ~55 ms its
requests cost in Python). Django ships the same templates for Jinja2 (django/forms/jinja2/),
which draws them in about half the time with the same HTML, blank lines aside. Only the inputs
change engine: labels, errors and the pages stay Django templates; the admin's forms keep
Django's default renderer.

Most of those inputs are one `<input>` tag (text, e-mail, hidden, tel, number…): Django's
Jinja2 template for each only includes `input.html`, which includes `attrs.html`. Drawing that
tag through Jinja2 still took ~45 µs an input, for a tag of one line, so INPUTS writes it
itself from the widget's context, as those two templates do: the value escaped as Jinja2
escapes it (markupsafe), an attribute that is True written bare, one that is False left out.
Selects, radios, checkboxes and anything else go through the templates as before.
tests/storefront/test_form_rendering.py holds the output to Django's own renderers.
"""

from django import forms
from django.forms.renderers import Jinja2
from markupsafe import escape

# Django's Jinja2 widget templates that are only `{% include "django/forms/widgets/input.html" %}`
# (the test reads them, so a Django upgrade that changes one is noticed). `checkbox` and `file`
# are left to the templates: their widgets' contexts differ in ways the tag must follow.
PLAIN_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "color",
        "date",
        "datetime",
        "email",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def draw_input(widget: dict) -> str:
    """The `<input>` tag django/forms/jinja2/django/forms/widgets/input.html draws for a
    widget's context."""
    parts = [f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"']
    if widget["value"] is not None:
        parts.append(f' value="{escape(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"')
    parts.append(">")
    return "".join(parts)


class StorefrontInputs(Jinja2):
    """Django's Jinja2 form renderer; plain inputs drawn by draw_input."""

    def render(self, template_name, context, request=None):
        if template_name in PLAIN_INPUT_TEMPLATES:
            return draw_input(context["widget"])
        return super().render(template_name, context, request=request)


INPUTS = StorefrontInputs()


class StorefrontForm(forms.Form):
    """A form of the storefront's pages: its inputs are drawn by INPUTS."""

    default_renderer = INPUTS
