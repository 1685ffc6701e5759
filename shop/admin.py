"""Admin for the platform core: staff and customer accounts (e-mail login), markets, channels,
API tokens, kill switches."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from shop import ports, services, tokens
from shop.exceptions import ValidationFailed
from shop.forms import StorableTextMixin
from shop.models import (
    ApiToken,
    Channel,
    DeferredTask,
    KillSwitch,
    KillSwitchKind,
    Market,
    User,
)


class UserCreationForm(DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = [
            "email",
            "password",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's UserAdmin with the e-mail address in place of a username."""

    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "password1", "password2"]},
        ),
    ]


class MarketForm(StorableTextMixin, forms.ModelForm):
    class Meta:
        model = Market
        fields = [
            "code",
            "name",
            "currency",
            "countries",
            "timezone",
            "default_locale",
            "is_active",
            "position",
        ]

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    form = MarketForm
    list_display = ["code", "name", "currency", "timezone", "default_locale", "is_active"]
    list_filter = ["is_active", "currency"]
    search_fields = ["code", "name"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff revoke API keys here: delete one, or select several and "Delete selected". Keys
    themselves are never shown (only a digest is stored); the prefix tells them apart."""

    list_display = ["prefix", "user", "created_at", "last_used_at", "expires_at", "expired"]
    list_select_related = ["user"]
    search_fields = ["user__email", "prefix"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at", "expires_at"]
    fields = readonly_fields
    actions = ["delete_selected"]

    @admin.display(boolean=True, description=_("expired"))
    def expired(self, token):
        return token.is_expired()

    def has_add_permission(self, request):
        return False  # keys are issued by logging in (POST /api/v1/auth/token)

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        tokens.revoke_api_tokens(tokens=[obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        tokens.revoke_api_tokens(tokens=list(queryset), actor=request.user)


@admin.register(DeferredTask)
class DeferredTaskAdmin(admin.ModelAdmin):
    """Tasks the broker refused while Redis was down; the beat publishes them again
    (shop.jobs). Read-only: they leave by being published."""

    list_display = ["task", "created_at", "attempts", "last_error"]
    readonly_fields = ["task", "args", "kwargs", "created_at", "attempts", "last_error"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _known_targets_help() -> str:
    parts = []
    for kind in (KillSwitchKind.PAYMENT_METHOD, KillSwitchKind.SHIPPING_METHOD):
        targets = ports.kill_switch_targets(kind)
        if targets:
            codes = ", ".join(code for code, _label in targets)
            parts.append(f"{KillSwitchKind(kind).label}: {codes}")
    parts.append("Market: its code (US, CA…); promotion: its id; checkout: leave empty")
    return ". ".join(parts) + "."


class KillSwitchForm(StorableTextMixin, forms.ModelForm):
    """Kind, target, state and why; the service checks the target exists."""

    class Meta:
        model = KillSwitch
        fields = ["kind", "target", "is_off", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "target" in self.fields:
            self.fields["target"].help_text = _known_targets_help()
        # A new reason for every flip: the history keeps each one.
        self.initial["reason"] = ""
        self.fields["reason"].help_text = _("Why now? Kept in the switch's history.")

    def clean(self):
        data = super().clean()
        kind = data.get("kind", getattr(self.instance, "kind", ""))
        target = data.get("target", getattr(self.instance, "target", ""))
        if kind:
            try:
                data["target"] = services.check_kill_switch_target(kind, target)
            except ValidationFailed as exc:
                self.add_error("target" if "target" in self.fields else None, exc.detail)
        return data


@admin.register(KillSwitch)
class KillSwitchAdmin(admin.ModelAdmin):
    """Operations switch checkout, a market, a payment or shipping method or a promotion off
    (docs/runbooks.md). Every save goes through shop.services.set_kill_switch: it takes
    effect in every web worker within a second and appends who/when/why to the history."""

    form = KillSwitchForm
    list_display = ["kind", "target", "is_off", "reason", "changed_by", "changed_at"]
    list_filter = ["kind", "is_off"]
    search_fields = ["target", "reason"]

    def get_fields(self, request, obj=None):
        fields = ["kind", "target", "is_off", "reason"]
        return [*fields, "history"] if obj is not None else fields

    def get_readonly_fields(self, request, obj=None):
        return ["kind", "target", "history"] if obj is not None else []

    @admin.display(description=_("History"))
    def history(self, switch):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{change.changed_at:%Y-%m-%d %H:%M:%S}",
                    _("off") if change.is_off else _("on"),
                    change.changed_by or _("system"),
                    change.reason,
                )
                for change in switch.changes.select_related("changed_by")
            ),
        )
        return format_html(
            '<table class="kill-switch-history"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("When (UTC)"),
            _("State"),
            _("Who"),
            _("Why"),
            rows,
        )

    def has_delete_permission(self, request, obj=None):
        return False  # switch it back on instead: the history stays

    def save_model(self, request, obj, form, change):
        switch = services.set_kill_switch(
            kind=obj.kind,
            target=form.cleaned_data.get("target", obj.target),
            is_off=form.cleaned_data["is_off"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        obj.pk = switch.pk

    def save_related(self, request, form, formsets, change):
        pass  # the history is written by the service; nothing else is editable here
