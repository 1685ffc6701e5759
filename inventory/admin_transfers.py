"""The Transfer admin: drafts are created and changed through inventory.services
(create_transfer, update_transfer), then shipped, received or cancelled by actions.

Registered from inventory/admin.py (Django only discovers that module).
"""

from django.contrib import admin, messages
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from inventory import services
from inventory.models import Transfer, TransferLine, TransferStatus
from shop.admin_mixins import ServiceSaveMixin
from shop.exceptions import DomainError


class TransferLineInline(admin.TabularInline):
    model = TransferLine
    extra = 1
    raw_id_fields = ["variant"]

    def _editable(self, obj):
        return obj is None or obj.status == TransferStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


def _kept_line_forms(formset) -> list:
    """The inline's rows that describe a line: filled in and not marked for deletion."""
    return [
        f
        for f in formset.forms
        if f.cleaned_data and f.cleaned_data.get("variant") and f not in formset.deleted_forms
    ]


@admin.register(Transfer)
class TransferAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """Transfers are drafted and changed through inventory.services (create_transfer,
    update_transfer) and moved on by the actions; the form never writes them."""

    list_display = [
        "public_id",
        "source",
        "destination",
        "status",
        "units",
        "shipped_at",
        "received_at",
    ]
    list_select_related = ["source", "destination"]
    list_filter = ["status", "source", "destination"]
    search_fields = ["public_id", "note"]
    inlines = [TransferLineInline]
    readonly_fields = ["public_id", "status", "created_by", "shipped_at", "received_at"]
    actions = ["ship_selected", "receive_selected", "cancel_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != TransferStatus.DRAFT:
            return [*self.readonly_fields, "source", "destination"]
        return self.readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total_units=Sum("lines__quantity"))

    @admin.display(description=_("Units"), ordering="total_units")
    def units(self, obj):
        return obj.total_units or 0

    def has_delete_permission(self, request, obj=None):
        return False  # a transfer with a public id is cancelled, never deleted

    def save_model(self, request, obj, form, change):
        """Nothing here: the transfer and its lines are one service call, in save_related,
        which has the lines."""

    def save_related(self, request, form, formsets, change):
        lines = next((f for f in formsets if f.model is TransferLine), None)
        editable = lines is not None and self._lines_editable(request, form.instance, change)
        rows = _kept_line_forms(lines) if editable else []
        data = form.cleaned_data

        def locate(path):
            if path[0] != "lines":
                return ("", path[0]) if path[0] in form.fields else ("", None)
            row = rows[int(path[1])] if len(path) > 1 and path[1].isdigit() else None
            if row is None:
                return lines.prefix, None
            return row.prefix, path[2] if len(path) > 2 else None

        line_input = [(f.cleaned_data["variant"], f.cleaned_data["quantity"]) for f in rows]
        if change:
            saved = self.call_service(
                services.update_transfer,
                locate,
                transfer=form.instance,
                actor=request.user,
                note=data.get("note"),
                source=data.get("source"),
                destination=data.get("destination"),
                lines=line_input if editable else None,
            )
        else:
            saved = self.call_service(
                services.create_transfer,
                locate,
                source=data["source"],
                destination=data["destination"],
                lines=line_input,
                note=data.get("note", ""),
                actor=request.user,
            )
            # The add view logs and redirects with the object it handed to save_model.
            form.instance.pk = saved.pk
            form.instance.public_id = saved.public_id
            form.instance.created_by = saved.created_by
        if lines is not None:
            new = [f.instance for f in rows if f.instance.pk is None]
            changed = [
                (f.instance, f.changed_data) for f in rows if f.instance.pk and f.has_changed()
            ]
            deleted = (
                [f.instance for f in lines.deleted_forms if f.instance.pk] if editable else []
            )
            lines.new_objects, lines.changed_objects, lines.deleted_objects = new, changed, deleted

    def _lines_editable(self, request, obj, change) -> bool:
        """Whether this user's submit carries the lines: a draft's rows, editable for them."""
        inline = TransferLineInline(self.model, self.admin_site)
        if change:
            return inline.has_change_permission(request, obj)
        return inline.has_add_permission(request, None)

    def _run(self, request, queryset, service, done):
        for transfer in queryset:
            try:
                service(transfer=transfer, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{transfer}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{transfer}: {done}", messages.SUCCESS)

    @admin.action(description=_("Ship selected transfers"), permissions=["change"])
    def ship_selected(self, request, queryset):
        self._run(request, queryset, services.ship_transfer, _("shipped"))

    @admin.action(description=_("Receive selected transfers"), permissions=["change"])
    def receive_selected(self, request, queryset):
        self._run(request, queryset, services.receive_transfer, _("received"))

    @admin.action(description=_("Cancel selected draft transfers"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        self._run(request, queryset, services.cancel_transfer, _("cancelled"))
