"""Spreadsheet import/export for the product admin: upload, dry-run preview, confirm; download.

The views only move bytes and show results: every rule lives in `catalog.importing`. The preview
runs the real import inside a rolled-back transaction, so what it reports is what confirming
will do; the uploaded file waits in a temporary folder under an unguessable token meanwhile
(catalog.import_uploads). The import itself, and the preview of a long file, run as a
background job (catalog.tasks, shop.background) whose status page shows progress, then the
result or the errors.
"""

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
from catalog.import_uploads import TOKEN, store_upload, upload_path
from catalog.importers import FORMATS
from catalog.importers.base import ImportFileError, check_file_size
from catalog.importing import EXPORT_FORMATS, export_catalog, import_catalog
from catalog.tasks import IMPORT_JOB, import_catalog_file
from shop.background import get_job, start_job
from shop.jobs import enqueue
from shop.models import Market

# Files up to this size are previewed in the request; longer ones by a worker (status page).
INLINE_PREVIEW_BYTES = 1024 * 1024
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
    token = forms.RegexField(TOKEN, widget=forms.HiddenInput)
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
                "import/<str:job_id>/",
                view(self.import_job_view),
                name="catalog_product_import_job",
            ),
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
            if len(data) > getattr(settings, "CATALOG_IMPORT_INLINE_BYTES", INLINE_PREVIEW_BYTES):
                # A long file is checked by a worker; its status page shows the preview.
                token = store_upload(data, upload.name)
                return self._start_job(request, {**options, "token": token, "dry_run": True})
            result = import_catalog(
                data=data, filename=upload.name, dry_run=True, actor=request.user, **options
            )
            context["result"] = result
            if not result.has_errors:
                token = store_upload(data, upload.name)
                context["confirm_form"] = _confirm_form({**options, "token": token}, result)
        context["form"] = form
        return TemplateResponse(request, "admin/catalog/product/import.html", context)

    def _confirm(self, request, context):
        form = CatalogConfirmForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied  # a forged or stale token
        if not upload_path(form.cleaned_data["token"]).exists():
            messages.error(request, _("That upload has expired; upload the file again."))
            return redirect(reverse("admin:catalog_product_import"))
        params = {**form.cleaned_data, "dry_run": False}
        return self._start_job(request, params)

    def _start_job(self, request, params: dict):
        """Queue the import as a background job and show its status page."""
        job = start_job(kind=IMPORT_JOB, params=params, created_by=request.user)
        enqueue(import_catalog_file, job.public_id)
        job.refresh_from_db()
        result = job.result or {}
        if not params["dry_run"] and result.get("committed"):
            # Done already (a quick file, or eager tasks): back to the products, as before.
            summary = result["summary"]
            messages.success(request, _("Import finished: %(summary)s.") % {"summary": summary})
            return redirect(reverse("admin:catalog_product_changelist"))
        return redirect(reverse("admin:catalog_product_import_job", args=[job.public_id]))

    def import_job_view(self, request, job_id):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        job = get_job(public_id=job_id, user=request.user)
        if job is None or job.kind != IMPORT_JOB:
            raise Http404
        result = job.result or {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import products: %(job)s") % {"job": job.public_id},
            "job": job,
            "result": result,
            "percent": int(100 * job.done / job.total) if job.total else None,
        }
        if result.get("dry_run") and not result.get("has_errors"):
            context["confirm_form"] = _confirm_form(job.params, None)
        return TemplateResponse(request, "admin/catalog/product/import_job.html", context)


def _confirm_form(options: dict, result) -> CatalogConfirmForm:
    """The hidden form that imports, for real, the file a preview checked."""
    initial = {key: options.get(key) for key in ("token", "format", "currency", "location")}
    initial["strict"] = options.get("strict", False)
    if result is not None and result.currency:
        initial["currency"] = result.currency
    return CatalogConfirmForm(initial={k: "" if v is None else v for k, v in initial.items()})
