"""Admin pages that save through services (STYLE.md section 2: the admin is an interface like
any other, so a change form never lets its ModelForm write the model).

A ModelAdmin with ServiceSaveMixin overrides save_model / save_related / save_formset /
delete_model to call its app's service through `call_service`. When the service refuses (any
`shop.exceptions.DomainError`), the whole submit rolls back (Django runs the change form in a
transaction) and the same POST is validated again with the service's messages on the fields
and inline rows they name, so the user sees them beside their input: never a 500, never a
half-saved page. A refused delete comes back to the object's page with the message.

Forms and inline formsets need nothing special: the mixin adds RefusalFormMixin /
RefusalFormSetMixin to the classes it hands Django when they do not have them already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from shop.exceptions import DomainError

Refusal = dict[str, list[tuple[str | None, str]]]  # {form prefix: [(field or None, message)]}
Locate = Callable[[tuple[str, ...]], tuple[str, str | None]]  # error path -> (prefix, field)


class RefusalFormMixin:
    """Shows the errors a service raised for the last submit of this form (the main form's
    prefix is ""); ServiceSaveMixin validates the same POST again with them set."""

    refusal: Refusal = {}

    def clean(self):
        cleaned = super().clean()
        for field, message in self.refusal.get(self.prefix or "", []):
            self.add_error(field if field in self.fields else None, message)
        return cleaned


class RefusalFormSetMixin:
    """An inline formset whose rows (by prefix) or itself show a service's errors."""

    refusal: Refusal = {}

    def clean(self):
        super().clean()
        for form in self.forms:
            for field, message in self.refusal.get(form.prefix, []):
                form.add_error(field if field in form.fields else None, message)
        own = [message for _, message in self.refusal.get(self.prefix, [])]
        if own:
            raise ValidationError(own)


class RefusalFormSet(RefusalFormSetMixin, forms.BaseInlineFormSet):
    pass


class ServiceRefused(Exception):
    """A service refused a change-form submit; carries its messages by form prefix."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal)
        self.refusal = refusal


def _main_form_field(path: tuple[str, ...]) -> tuple[str, str | None]:
    return "", path[0]


class ServiceSaveMixin:
    """A ModelAdmin whose writes call services; see the module docstring."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request.service_refusal = refused.refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            for message in _messages(refused.refusal):
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("/delete/", 1)[0] + "/change/")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return _with_refusal(form, RefusalFormMixin, getattr(request, "service_refusal", {}))

    def get_formsets_with_inlines(self, request, obj=None) -> Iterator:
        refusal = getattr(request, "service_refusal", {})
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield _with_refusal(formset, RefusalFormSetMixin, refusal), inline

    @staticmethod
    def call_service(service, locate: Locate | None = None, **kwargs):
        """Call `service`; turn a DomainError into ServiceRefused, placing each message on the
        (form prefix, field) that `locate(path)` names for its path in the error's `fields`
        (default: the main form's field named by the path's first key)."""
        locate = locate or _main_form_field
        try:
            return service(**kwargs)
        except DomainError as exc:
            fields = getattr(exc, "fields", None) or exc.extra.get("fields") or {"": [str(exc)]}
            refusal: Refusal = {}
            for path, message in leaves(fields):
                prefix, field = locate(path) if path and path[0] else ("", None)
                refusal.setdefault(prefix, []).append((field, message))
            raise ServiceRefused(refusal) from exc


def form_at(forms: list, path: tuple, at: int):
    """The form of row path[at] (an index as text) among `forms`, or None: where a service's
    message about the nth item of its input goes."""
    index = path[at] if len(path) > at else ""
    return forms[int(index)] if index.isdigit() and int(index) < len(forms) else None


def record_formset_changes(formset, new, changed, deleted) -> None:
    """Tell Django's history row what a service saved for `formset` (what formset.save()
    would have recorded): new objects, (object, changed fields) pairs and deleted objects."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, deleted


def _with_refusal(cls: type, mixin: type, refusal: Refusal) -> type:
    # A class that already reads `refusal` (it uses the mixin) only needs this submit's.
    bases = (cls,) if hasattr(cls, "refusal") else (mixin, cls)
    return type(cls.__name__, bases, {"refusal": refusal})


def _messages(refusal: Refusal) -> list[str]:
    return [message for rows in refusal.values() for _, message in rows]


def leaves(tree, path=()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path, message) of each message in a ValidationFailed.fields tree."""
    if isinstance(tree, dict):
        for key, subtree in tree.items():
            yield from leaves(subtree, (*path, key))
    else:
        for message in tree:
            yield path, message
