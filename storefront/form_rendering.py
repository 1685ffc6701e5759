"""How the storefront's forms draw their inputs: Django's own Jinja2 form renderer.

Django draws every input from a template (django/forms/widgets/*.html). Through the Django
template engine that took ~0.18 ms an input, 14 inputs a checkout (2.5 ms of the ~55 ms its
requests cost in Python). Django ships the same templates for Jinja2 (django/forms/jinja2/),
which draws them in about half the time with the same HTML, blank lines aside. Only the inputs
change engine: labels, errors and the pages stay Django templates; the admin's forms keep
Django's default renderer.
"""

from django import forms
from django.forms.renderers import Jinja2

INPUTS = Jinja2()


class StorefrontForm(forms.Form):
    """A form of the storefront's pages: its inputs are drawn by INPUTS."""

    default_renderer = INPUTS
