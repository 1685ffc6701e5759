"""Fraud review in the admin: the review queue, and each market's threshold.

The queue is the FraudAssessment changelist, opened on the orders waiting for a review
(on hold), oldest first, with the score, the reasons and the order's age. Approve or reject
from the queue (select, then the action) or on the order's page (its buttons); both call
orders.services.fraud. Assessments themselves are read-only: they record what placement saw.
Thresholds are edited per market through set_fraud_threshold.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from orders.admin.order_inlines import money
from orders.api.common import can_operate_orders
from orders.models import FraudAssessment, FraudThreshold, OrderStatus
from orders.services import fraud as fraud_services
from shop.exceptions import DomainError


def reasons_html(assessment: FraudAssessment | None):
    """The score's reasons as a list (points and what fired), for the queue and the order."""
    if assessment is None:
        return _("Not assessed (placed before fraud review, or not paid yet).")
    if assessment.score is None:
        return _("Not scored: the payment was not authorized.")
    head = format_html(
        "<strong>{}</strong> / 100 (holds above {})", assessment.score, assessment.hold_above
    )
    if not assessment.reasons:
        return format_html("{}<br>{}", head, _("No rule fired."))
    items = format_html_join(
        "",
        "<li>+{} {}: {}</li>",
        ((r.get("points"), r.get("code"), r.get("detail")) for r in assessment.reasons),
    )
    return format_html('{}<ul class="fraud-reasons">{}</ul>', head, items)


class WaitingFilter(admin.SimpleListFilter):
    """The queue opens on what waits for a decision."""

    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("waiting", _("Waiting for review")), ("held", _("Ever held")), ("all", _("All"))]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "waiting") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "waiting"
        if value == "waiting":
            return queryset.filter(order__status=OrderStatus.ON_HOLD)
        if value == "held":
            return queryset.filter(held=True)
        return queryset


@admin.register(FraudAssessment)
class FraudReviewAdmin(admin.ModelAdmin):
    """The fraud review queue (read-only rows; the decisions are actions)."""

    list_display = [
        "order_link",
        "score",
        "reason_codes",
        "email",
        "order_total",
        "age",
        "order_status",
    ]
    list_filter = [WaitingFilter, "order__market"]
    list_select_related = ["order", "order__market"]
    search_fields = ["=order__public_id", "=order__reference", "email"]
    ordering = ["created_at", "pk"]  # oldest first: nobody waits longest
    actions = ["approve_selected", "reject_selected"]
    fields = readonly_fields = [
        "order_link",
        "order_status",
        "score_and_reasons",
        "email",
        "client_ip",
        "card_fingerprint",
        "order_total",
        "created_at",
        "assessed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_operate_orders(request.user):
            actions.pop("approve_selected", None)
            actions.pop("reject_selected", None)
        return actions

    @admin.display(description=_("Order"), ordering="order__reference")
    def order_link(self, assessment):
        url = reverse("admin:orders_order_change", args=[assessment.order_id])
        return format_html('<a href="{}">{}</a>', url, assessment.order.reference)

    @admin.display(description=_("Status"))
    def order_status(self, assessment):
        return assessment.order.get_status_display()

    @admin.display(description=_("Reasons"))
    def reason_codes(self, assessment):
        return ", ".join(f"{r.get('code')} +{r.get('points')}" for r in assessment.reasons) or "—"

    @admin.display(description=_("Score and reasons"))
    def score_and_reasons(self, assessment):
        return reasons_html(assessment)

    @admin.display(description=_("Total"), ordering="total_cents")
    def order_total(self, assessment):
        return money(assessment.order.total_cents, assessment.order.currency)

    @admin.display(description=_("Waiting"), ordering="created_at")
    def age(self, assessment):
        minutes = int((timezone.now() - assessment.created_at).total_seconds() // 60)
        if minutes < 60:
            return _("%(n)s min") % {"n": minutes}
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}

    def _decide(self, request, queryset, decide, done):
        ok, refused = [], []
        for assessment in queryset.select_related("order"):
            try:
                decide(assessment.order)
            except DomainError as exc:
                refused.append(f"{assessment.order.reference}: {exc}")
            else:
                ok.append(assessment.order.reference)
        if ok:
            self.message_user(request, f"{done}: {', '.join(ok)}", messages.SUCCESS)
        for refusal in refused:
            self.message_user(request, refusal, messages.ERROR)

    @admin.action(description=_("Approve: the selected orders may ship"))
    def approve_selected(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda order: fraud_services.approve_review(order=order, actor=request.user),
            _("Approved"),
        )

    @admin.action(description=_("Reject: cancel, void and release the selected orders"))
    def reject_selected(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda order: fraud_services.reject_review(
                order=order, actor=request.user, reason="rejected in the review queue"
            ),
            _("Rejected and cancelled"),
        )


class FraudThresholdForm(forms.ModelForm):
    class Meta:
        model = FraudThreshold
        fields = ["market", "hold_above"]


@admin.register(FraudThreshold)
class FraudThresholdAdmin(admin.ModelAdmin):
    """Each market's review threshold (the default, 70, when a market has none)."""

    form = FraudThresholdForm
    list_display = ["market", "hold_above", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["market"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        row = fraud_services.set_fraud_threshold(
            market=obj.market, hold_above=form.cleaned_data["hold_above"], actor=request.user
        )
        obj.pk = row.pk

    def save_related(self, request, form, formsets, change):
        pass  # nothing related; the service wrote the row
