"""The returns console for Operations and Finance (docs/returns.md, "Back office").

/admin/returns/returnrequest/                   the queue (status, reason, age, market)
/admin/returns/returnrequest/<pk>/change/       the RMA: lines, label, events, buttons
/admin/returns/returnrequest/<pk>/step/<step>/  approve, reject, cancel, receive, inspect,
                                                refund (Finance; shows the breakdown), close
/admin/returns/returnrequest/<pk>/label/        the label PDF
/admin/returns/returnrequest/report/            return rate by category and reason, 30/90 days

RMAs are never added, edited or deleted through Django's forms: every button calls one of
returns.services; a refusal comes back as a form error or a message. Seeing needs
`returns.view_returnrequest` (Operations, Finance; not Merchandisers), acting
`returns.change_returnrequest` (Operations), refunding `returns.refund_returnrequest`
(Finance only, shop/roles.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from returns import labels, selectors, services
from returns.admin_forms import ConfirmForm, InspectForm, MessageForm, ReceiveForm, RejectForm
from returns.models import (
    CategoryReturnWindow,
    RestockingFee,
    ReturnEvent,
    ReturnLine,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
)
from shop.admin_mixins import ServiceSaveMixin, record_formset_changes
from shop.exceptions import DomainError
from shop.templatetags.money import money as format_cents

R = ReturnStatus
OPERATE, REFUND = "returns.change_returnrequest", "returns.refund_returnrequest"
# step -> (label, permission, form class)
STEPS = {
    "approve": (_("Approve"), OPERATE, MessageForm),
    "reject": (_("Reject"), OPERATE, RejectForm),
    "cancel": (_("Cancel return"), OPERATE, MessageForm),
    "receive": (_("Receive"), OPERATE, ReceiveForm),
    "inspect": (_("Inspect"), OPERATE, InspectForm),
    "refund": (_("Refund"), REFUND, ConfirmForm),
    "close": (_("Close"), OPERATE, None),
}
SOURCES = {
    "approve": [R.REQUESTED],
    "reject": [R.REQUESTED],
    "cancel": [R.REQUESTED, R.APPROVED],
    "receive": [R.APPROVED],
    "inspect": [R.RECEIVED],
    "close": [R.REFUNDED],
}


def _possible(step: str, rma: ReturnRequest) -> bool:
    if step == "refund":
        return services.refundable_now(rma)
    return rma.status in SOURCES[step]


def _run(step: str, rma: ReturnRequest, user, form) -> ReturnRequest:
    data = form.cleaned_data if form is not None else {}
    if step == "approve":
        return services.approve_return(rma=rma, actor=user, message=data["message"])
    if step == "reject":
        return services.reject_return(rma=rma, actor=user, message=data["message"])
    if step == "cancel":
        return services.cancel_return(rma=rma, actor=user, note=data["message"])
    if step == "receive":
        return services.receive_return(rma=rma, actor=user, lines=form.service_lines())
    if step == "inspect":
        return services.inspect_return(rma=rma, actor=user, lines=form.service_lines())
    if step == "refund":
        return services.refund_return(rma=rma, actor=user)
    return services.close_return(rma=rma, actor=user)


def money(cents, currency) -> str:
    return "" if cents is None else format_cents(cents, currency)


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("2", _("Under 2 days")), ("7", _("2 to 7 days")), ("old", _("Over 7 days"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "2":
            return queryset.filter(created_at__gte=now - timedelta(days=2))
        if self.value() == "7":
            return queryset.filter(
                created_at__lt=now - timedelta(days=2), created_at__gte=now - timedelta(days=7)
            )
        if self.value() == "old":
            return queryset.filter(created_at__lt=now - timedelta(days=7))
        return queryset


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = [
        "sku",
        "quantity",
        "reason",
        "reason_note",
        "received_quantity",
        "reception_outcome",
        "condition_notes",
        "disposition",
        "disposition_location",
        "refund",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("SKU"))
    def sku(self, line):
        return f"{line.order_line.sku} — {line.order_line.title}"

    @admin.display(description=_("Refund"))
    def refund(self, line):
        if line.refund_cents is None:
            return money(line.estimate_cents, line.rma.currency) + " (estimate)"
        return money(line.refund_cents, line.rma.currency)


class ReturnEventInline(admin.TabularInline):
    model = ReturnEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "actor_label", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "order_reference",
        "status",
        "reasons",
        "market",
        "age",
        "estimate",
        "refund",
    ]
    list_filter = ["status", "lines__reason", AgeFilter, "market"]
    list_select_related = ["order", "market"]
    search_fields = ["reference", "public_id", "order__reference", "order__email"]
    inlines = [ReturnLineInline, ReturnEventInline]
    readonly_fields = [
        "public_id",
        "reference",
        "order_link",
        "status",
        "customer_note",
        "auto_approved",
        "decision_message",
        "label_link",
        "estimate",
        "refund",
        "refund_error",
        "created_at",
        "approved_at",
        "received_at",
        "inspected_at",
        "refund_issued_at",
        "closed_at",
    ]
    fields = readonly_fields
    ordering = ["created_at"]  # the queue: oldest first
    actions = ["approve_selected"]

    def has_operate_permission(self, request):
        return request.user.has_perm(OPERATE)

    @admin.action(description=_("Approve selected returns"), permissions=["operate"])
    def approve_selected(self, request, queryset):
        approved = 0
        for rma in queryset:
            try:
                services.approve_return(rma=rma, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{rma.reference}: {exc}", messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(request, _("%(n)s returns approved.") % {"n": approved})

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only; the buttons call the services

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Order"), ordering="order__reference")
    def order_reference(self, rma):
        return rma.order.reference

    @admin.display(description=_("Order"))
    def order_link(self, rma):
        url = reverse("admin:orders_order_change", args=[rma.order_id])
        return format_html('<a href="{}">{}</a> — {}', url, rma.order.reference, rma.order.email)

    @admin.display(description=_("Reasons"))
    def reasons(self, rma):
        return ", ".join(sorted({line.get_reason_display() for line in rma.lines.all()}))

    @admin.display(description=_("Age"), ordering="created_at")
    def age(self, rma):
        days = (timezone.now() - rma.created_at).days
        return _("%(days)s d") % {"days": days}

    @admin.display(description=_("Estimated refund"))
    def estimate(self, rma):
        return money(rma.refund_estimate_cents, rma.currency)

    @admin.display(description=_("Refunded"))
    def refund(self, rma):
        return money(rma.refund_cents, rma.currency) if rma.refund_issued_at else ""

    @admin.display(description=_("Return label"))
    def label_link(self, rma):
        if not rma.label_tracking_number:
            return "—"
        url = reverse("admin:returns_returnrequest_label", args=[rma.pk])
        return format_html(
            '<a href="{}">{}</a> ({})', url, _("Download PDF"), rma.label_tracking_number
        )

    # --- pages ------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("report/", view(self.report_view), name="returns_returnrequest_report"),
            path("<int:pk>/label/", view(self.label_view), name="returns_returnrequest_label"),
            path(
                "<int:pk>/step/<slug:step>/",
                view(self.step_view),
                name="returns_returnrequest_step",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, **extra}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rma = self.get_object(request, object_id)
        steps = []
        if rma is not None:
            steps = [
                (name, label)
                for name, (label, perm, _f) in STEPS.items()
                if request.user.has_perm(perm) and _possible(name, rma)
            ]
        context = {**(extra_context or {}), "return_steps": steps}
        return super().change_view(request, object_id, form_url, context)

    def label_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rma = get_object_or_404(ReturnRequest.objects.select_related("order"), pk=pk)
        if not rma.label_tracking_number:
            raise Http404(_("This return has no label yet."))
        response = HttpResponse(
            labels.label_provider().render_pdf(rma=rma), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="return-{rma.reference}.pdf"'
        return response

    def step_view(self, request, pk, step):
        if step not in STEPS:
            raise Http404(_("No such step."))
        label, perm, form_class = STEPS[step]
        if not request.user.has_perm(perm):
            raise PermissionDenied
        rma = get_object_or_404(ReturnRequest.objects.select_related("order", "market"), pk=pk)
        page = reverse("admin:returns_returnrequest_change", args=[rma.pk])
        if not _possible(step, rma):
            messages.error(
                request,
                _("%(step)s is not possible for return %(ref)s (it is %(status)s).")
                % {"step": label, "ref": rma.reference, "status": rma.get_status_display()},
            )
            return HttpResponseRedirect(page)
        kwargs = {"rma": rma} if form_class in (ReceiveForm, InspectForm) else {}
        data = request.POST if request.method == "POST" else None
        form = form_class(data, **kwargs) if form_class else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                done = _run(step, rma, request.user, form)
            except DomainError as exc:
                if form is None:
                    messages.error(request, f"{rma.reference}: {exc}")
                    return HttpResponseRedirect(page)
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Return %(ref)s: %(step)s done (%(status)s).")
                    % {"ref": done.reference, "step": label, "status": done.get_status_display()},
                )
                return HttpResponseRedirect(page)
        breakdown = None
        if step == "refund":
            rma.refresh_from_db()
            breakdown = (
                rma.refund_breakdown
                if rma.refund_cents is not None
                else services.compute_refund(rma).as_dict()
            )
        return TemplateResponse(
            request,
            "admin/returns/returnrequest/step.html",
            self._context(
                request,
                title=f"{label}: {rma.reference}",
                rma=rma,
                step=step,
                step_label=label,
                form=form,
                lines=rma.lines.select_related("order_line"),
                breakdown=breakdown,
            ),
        )

    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = 90 if request.GET.get("days") == "90" else 30
        return TemplateResponse(
            request,
            "admin/returns/returnrequest/report.html",
            self._context(
                request,
                title=_("Return rate, last %(days)s days") % {"days": days},
                report=selectors.return_rate_report(days=days),
            ),
        )


class CategoryWindowInline(admin.TabularInline):
    model = CategoryReturnWindow
    extra = 0
    autocomplete_fields = ["category"]


class RestockingFeeInline(admin.TabularInline):
    model = RestockingFee
    extra = 0


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = [
        "market",
        "window_days",
        "refund_timing",
        "return_shipping_paid_by",
        "auto_approve",
    ]
    filter_horizontal = ["non_returnable_categories"]
    autocomplete_fields = ["non_returnable_products"]
    inlines = [CategoryWindowInline, RestockingFeeInline]

    def save_model(self, request, obj, form, change):
        self.call_service(services.save_return_policy, policy=obj)

    def save_related(self, request, form, formsets, change):
        def rows(formset):
            return [
                f.cleaned_data
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]

        by_model = {fs.model: fs for fs in formsets}
        self.call_service(
            services.set_return_policy_rules,
            policy=form.instance,
            non_returnable_categories=form.cleaned_data["non_returnable_categories"],
            non_returnable_products=form.cleaned_data["non_returnable_products"],
            category_windows=[
                (r["category"], r["window_days"]) for r in rows(by_model[CategoryReturnWindow])
            ],
            restocking_fees=[
                (r["reason"], r["percent_bp"], r["fixed_cents_per_unit"])
                for r in rows(by_model[RestockingFee])
            ],
        )
        for formset in formsets:  # the service replaced the rows; history says "changed"
            record_formset_changes(formset, [], [], [])
