"""Spreadsheet import/export for the product admin: upload, dry-run preview, confirm; download.

The views only move bytes and show results: every rule lives in `catalog.importing`. The preview
runs the real import inside a rolled-back transaction, so what it reports is what confirming
will do; the uploaded file waits in a temporary folder under an unguessable token meanwhile.
"""

import re
import secrets
import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from catalog import ports
from catalog.importers import FORMATS
from catalog.importers.base import ImportFileError, check_file_size
from catalog.importing import EXPORT_FORMATS, export_catalog, import_catalog
from shop.models import Market

UPLOAD_DIR = Path(tempfile.gettempdir()) / "emporium-catalog-imports"
_TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _currency_choices():
    """The markets' currencies: prices are for a market, never free text."""
    currencies = Market.objects.filter(is_active=True).values_list("currency", flat=True)
    return [("", _("As the file states (else the default market's)"))] + [
        (c, c) for c in dict.fromkeys(currencies)
    ]


def _location_choices():
    return [("", _("The location serving the market of the file's currency"))] + list(
        ports.stock_locations()
    )


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        validators=[FileExtensionValidator(["csv", "xlsx"])],
    )
    format = forms.ChoiceField(
        choices=[("emporium", _("Emporium export")), ("shopify", _("Shopify product CSV"))]
    )
    currency = forms.ChoiceField(
        choices=_currency_choices,
        required=False,
        help_text=_("The currency the file's prices are in; cells stating another are refused."),
    )
    location = forms.ChoiceField(
        label=_("Stock location"),
        choices=_location_choices,
        required=False,
        help_text=_("Where the file's stock counts (Shopify's Variant Inventory Qty) go."),
    )
    strict = forms.BooleanField(
        required=False, help_text=_("Refuse the file when a barcode fails its check digit.")
    )


class CatalogConfirmForm(forms.Form):
    token = forms.RegexField(_TOKEN, widget=forms.HiddenInput)
    format = forms.ChoiceField(choices=[(f, f) for f in FORMATS], widget=forms.HiddenInput)
    currency = forms.CharField(max_length=3, required=False, widget=forms.HiddenInput)
    location = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)
    strict = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CatalogImportExportMixin:
    """Adds Import and Export buttons (and an export action) to the product changelist."""

    change_list_template = "admin/catalog/product/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="catalog_product_import"),
            path(
                "export/<str:file_format>/",
                view(self.export_view),
                name="catalog_product_export",
            ),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            func = type(self).export_selected
            actions["export_selected"] = (func, "export_selected", func.short_description)
        return actions

    def export_selected(self, request, queryset):
        return self._download(export_catalog(file_format="csv", products=queryset), "csv")

    export_selected.short_description = _("Export selected products (CSV)")

    def export_view(self, request, file_format):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if file_format not in EXPORT_FORMATS:
            raise Http404
        return self._download(export_catalog(file_format=file_format), file_format)

    def _download(self, data: bytes, file_format: str) -> HttpResponse:
        response = HttpResponse(data, content_type=CONTENT_TYPES[file_format])
        response["Content-Disposition"] = f'attachment; filename="catalog.{file_format}"'
        return response

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import products"),
            "max_bytes": settings.CATALOG_IMPORT_MAX_BYTES,
        }
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request, context)
        form = CatalogImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check_file_size(upload.size)  # before reading it: it may be 50 MB
            except ImportFileError as exc:
                form.add_error("file", str(exc))
                context["form"] = form
                return TemplateResponse(request, "admin/catalog/product/import.html", context)
            data = upload.read()
            options = {
                "format": form.cleaned_data["format"],
                "currency": form.cleaned_data["currency"] or None,
                "location": form.cleaned_data["location"] or None,
                "strict": form.cleaned_data["strict"],
            }
            result = import_catalog(
                data=data, filename=upload.name, dry_run=True, actor=request.user, **options
            )
            context["result"] = result
            if not result.has_errors:
                token = self._store_upload(data, upload.name)
                initial = {**options, "currency": result.currency, "token": token}
                initial = {key: "" if value is None else value for key, value in initial.items()}
                context["confirm_form"] = CatalogConfirmForm(initial=initial)
        context["form"] = form
        return TemplateResponse(request, "admin/catalog/product/import.html", context)

    def _confirm(self, request, context):
        form = CatalogConfirmForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied  # a forged or stale token
        file_path = UPLOAD_DIR / form.cleaned_data["token"]
        if not file_path.exists():
            messages.error(request, _("That upload has expired; upload the file again."))
            return redirect(reverse("admin:catalog_product_import"))
        data = file_path.read_bytes()
        result = import_catalog(
            data=data,
            filename=file_path.name,
            format=form.cleaned_data["format"],
            currency=form.cleaned_data["currency"] or None,
            location=form.cleaned_data["location"] or None,
            strict=form.cleaned_data["strict"],
            actor=request.user,
        )
        file_path.unlink(missing_ok=True)
        if result.has_errors:
            # The catalog changed between preview and confirm: show what is wrong now.
            context.update(result=result, form=CatalogImportForm())
            return TemplateResponse(request, "admin/catalog/product/import.html", context)
        messages.success(
            request, _("Import finished: %(summary)s.") % {"summary": result.summary()}
        )
        return redirect(reverse("admin:catalog_product_changelist"))

    @staticmethod
    def _store_upload(data: bytes, filename: str) -> str:
        extension = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
        UPLOAD_DIR.mkdir(mode=0o700, exist_ok=True)
        token = f"{secrets.token_hex(16)}.{extension}"
        (UPLOAD_DIR / token).write_bytes(data)
        return token
