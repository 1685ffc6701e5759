"""Storefront account forms: shape checks only; register_customer owns the rules. And the
text check every storefront and admin form shares (StorableTextMixin)."""

import json
from functools import partial

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from shop import account_mail, services
from shop.text import find_text_problems


class StorableTextMixin:
    """A form-level clean hook: no cleaned value may carry a NUL or a lone surrogate.

    Django's CharField already refuses a typed NUL, but not inside what a field builds from
    the text: a JSON field decodes "\\u0000" or "\\ud800" escapes, a tags field returns a
    list. Whatever reaches cleaned_data (strings, lists and dicts of them) is walked, and a
    bad value becomes that field's error instead of a database error on save. Put it first
    among the bases: `class MyForm(StorableTextMixin, forms.ModelForm)`.
    """

    def clean(self):
        cleaned = super().clean()
        for name, value in list(self.cleaned_data.items()):
            for _path, message in find_text_problems(value, limit=1):
                field = self.fields.get(name)
                if isinstance(field, forms.JSONField):
                    # The form shows the value again: as JSON escapes, since a lone surrogate
                    # cannot be sent back as UTF-8.
                    field.prepare_value = partial(_prepare_ascii_json, field)
                self.add_error(name if field else None, message)
        return cleaned


def _prepare_ascii_json(field: forms.JSONField, value):
    if isinstance(value, InvalidJSONInput):
        return value
    return json.dumps(value, ensure_ascii=True, cls=field.encoder)


class StorableTextModelForm(StorableTextMixin, forms.ModelForm):
    """A ModelAdmin's `form` when the model has JSON fields and no form of its own."""


class EmailAuthenticationForm(StorableTextMixin, AuthenticationForm):
    """Django's login form, with the username field presented as the e-mail address."""

    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That e-mail address and password do not match an account."),
    }


class SignupForm(StorableTextMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_hints = password_validators_help_texts()

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("password")
            and cleaned.get("password_confirm")
            and cleaned["password"] != cleaned["password_confirm"]
        ):
            self.add_error("password_confirm", _("The two passwords differ."))
        return cleaned


class QueuedPasswordResetForm(StorableTextMixin, PasswordResetForm):
    """Django's reset form (it answers the same whether or not the address has an account, and
    mails only active accounts), its e-mail sent through the queue like every account mail."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        account_mail.send_templated(
            to=to_email,
            subject_template=subject_template_name,
            body_template=email_template_name,
            context=context,
        )


class ResetSetPasswordForm(SetPasswordForm):
    """The new password from a reset link; saved by services.reset_password (revokes the API
    keys, lifts the account's login lockout)."""

    def save(self, commit=True):
        return services.reset_password(user=self.user, password=self.cleaned_data["new_password1"])
