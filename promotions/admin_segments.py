"""Admin for named customer segments (vip, wholesale…): create one, rename it, say who is in
it (customers' e-mails, one per line). Every save goes through promotions.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from promotions import services
from promotions.models import CustomerSegment, Segment
from shop.exceptions import ValidationFailed


class SegmentForm(forms.ModelForm):
    members = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=_(
            "Customers' e-mail addresses, one per line. Saving makes exactly these "
            "customers members."
        ),
    )

    class Meta:
        model = Segment
        fields = ["slug", "name", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["slug"].disabled = True  # rules name it: it never changes
            self.initial["members"] = "\n".join(
                CustomerSegment.objects.filter(segment=self.instance)
                .order_by("customer__email")
                .values_list("customer__email", flat=True)
            )

    def clean(self):
        data = super().clean()
        emails = [line.strip() for line in (data.get("members") or "").splitlines()]
        data["member_emails"] = [e for e in emails if e]
        return data

    def _post_clean(self):
        # Check through the service's rules (dry: inside a rolled-back savepoint) so problems
        # show on the form instead of as a 500.
        super()._post_clean()
        if self.errors:
            return
        try:
            with transaction.atomic():
                services.save_segment(
                    slug=self.instance.slug if self.instance.pk else self.cleaned_data["slug"],
                    name=self.cleaned_data.get("name", ""),
                    description=self.cleaned_data.get("description", ""),
                    member_emails=self.cleaned_data["member_emails"],
                )
                raise _DryRun
        except _DryRun:
            pass
        except ValidationFailed as exc:
            fields = {k: v for k, v in exc.fields.items() if k in self.fields}
            if fields:
                for name, messages in fields.items():
                    self.add_error(name, messages)
            else:
                raise ValidationError(str(exc)) from None


class _DryRun(Exception):
    pass


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentForm
    list_display = ["slug", "name", "member_count", "created_at"]
    search_fields = ["slug", "name"]
    fields = ["slug", "name", "description", "members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description=_("Members"), ordering="member_total")
    def member_count(self, segment):
        return segment.member_total

    def save_model(self, request, obj, form, change):
        segment = services.save_segment(
            slug=obj.slug,
            name=form.cleaned_data["name"],
            description=form.cleaned_data.get("description", ""),
            member_emails=form.cleaned_data["member_emails"],
            actor=request.user,
        )
        obj.pk = segment.pk

    def save_related(self, request, form, formsets, change):
        pass  # memberships are written by the service

    def has_delete_permission(self, request, obj=None):
        return False  # promotion rules name segments: empty one instead
