"""The merchandiser's promotion editor: readable fields in, the rule entry (API.md) out.

Every field maps to one key of the entry; `clean()` builds the entry and validates it with
the engine's parser, so the editor refuses exactly what an import refuses (ends before it
starts, percent over 100, a fixed amount in a currency none of the markets uses…). Dates are
shown and typed in the chosen market time zone and stored as aware datetimes.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from promotions.engine import RuleError, parse_rule
from promotions.engine.rules import ACTION_TYPES, APPLIES_TO, STATUSES, SUBTOTAL_OF
from promotions.models import Promotion
from shop.models import Market


def _csv(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace("\n", ",").split(",") if part.strip()]


def _join(values) -> str:
    return ", ".join(values or [])


def _timezones() -> list[tuple[str, str]]:
    zones = dict.fromkeys(Market.objects.order_by("code").values_list("timezone", flat=True))
    return [(z, z) for z in zones] + [("UTC", "UTC")]


LIST_HELP = _("Comma-separated.")


class PromotionForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone of the dates below"), choices=())
    starts_at_local = forms.DateTimeField(
        label=_("Starts at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at_local = forms.DateTimeField(
        label=_("Ends at (inclusive)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    stacks_with = forms.CharField(
        required=False, help_text=_("Promotion ids it combines with; they must name this one too.")
    )
    customer_segment = forms.CharField(required=False, help_text=_("new, returning, vip…"))
    markets = forms.CharField(required=False, help_text=LIST_HELP)
    channels = forms.CharField(required=False, help_text=LIST_HELP)
    any_of_categories = forms.CharField(
        required=False, help_text=_("Category slugs (their sub-categories included).")
    )
    all_of_categories = forms.CharField(required=False)
    any_of_products = forms.CharField(required=False, help_text=_("Product handles."))
    any_of_skus = forms.CharField(required=False, help_text=_("SKUs or patterns like TEE-*"))
    min_quantity = forms.IntegerField(required=False, min_value=1)
    min_subtotal_cents = forms.IntegerField(
        required=False, min_value=0, label=_("Minimum subtotal (cents)")
    )
    min_subtotal_of = forms.ChoiceField(choices=[(s, s.replace("_", " ")) for s in SUBTOTAL_OF])
    first_order_only = forms.BooleanField(required=False)
    coupon_required = forms.BooleanField(required=False)
    action_type = forms.ChoiceField(choices=[(a, a.replace("_", " ")) for a in ACTION_TYPES])
    value = forms.IntegerField(
        required=False, help_text=_("Percent, or cents in the markets' currency.")
    )
    value_by_currency = forms.CharField(
        required=False, help_text=_("Fixed amounts per currency: USD=500, CAD=700")
    )
    applies_to = forms.ChoiceField(choices=[(a, a.replace("_", " ")) for a in APPLIES_TO])
    max_discount_cents = forms.IntegerField(required=False, min_value=1)
    buy_quantity = forms.IntegerField(required=False, min_value=1)
    get_quantity = forms.IntegerField(required=False, min_value=1)
    get_percent_off = forms.IntegerField(required=False, min_value=1, max_value=100)
    gift_sku = forms.CharField(required=False)
    shipping_methods = forms.CharField(
        required=False, help_text=_("free shipping: only these methods")
    )
    excluded_skus = forms.CharField(
        required=False, help_text=_("SKU patterns, like sku_giftcard_*")
    )
    excluded_categories = forms.CharField(required=False)
    excluded_products = forms.CharField(required=False)
    exclude_sale_items = forms.BooleanField(required=False)
    total_uses = forms.IntegerField(required=False, min_value=1)
    per_customer = forms.IntegerField(required=False, min_value=1)
    budget_cents = forms.IntegerField(required=False, min_value=1)
    codes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Coupon codes to add (case-insensitive)."),
    )
    uses_per_code = forms.IntegerField(required=False, min_value=1, help_text=_("1 = single use"))

    class Meta:
        model = Promotion
        fields = ["id", "name", "status", "priority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _timezones()
        self.fields["status"].choices = [(s, s) for s in STATUSES]
        self.warnings: list[str] = []
        self.entry: dict | None = None
        if self.instance and self.instance.pk:
            self.fields["id"].disabled = True
            self._initial_from(self.instance.rule or {})

    def _initial_from(self, rule: dict) -> None:
        c, a = rule.get("conditions", {}), rule.get("action", {})
        cc, ex = c.get("cart_contains", {}), rule.get("exclusions", {})
        lim, cp = rule.get("limits", {}), rule.get("coupons", {})
        tz_name = self._zone_for(c.get("markets"))
        tz = zoneinfo.ZoneInfo(tz_name)
        window = rule.get("time_window", {})
        value = a.get("value")
        init = {
            "time_zone": tz_name,
            "starts_at_local": _local(window.get("starts_at"), tz),
            "ends_at_local": _local(window.get("ends_at"), tz),
            "stacks_with": _join(rule.get("stacks_with")),
            "customer_segment": _join(c.get("customer_segment")),
            "markets": _join(c.get("markets")),
            "channels": _join(c.get("channels")),
            "any_of_categories": _join(cc.get("any_of_categories")),
            "all_of_categories": _join(cc.get("all_of_categories")),
            "any_of_products": _join(cc.get("any_of_products")),
            "any_of_skus": _join(cc.get("any_of_skus")),
            "min_quantity": cc.get("min_quantity"),
            "min_subtotal_cents": c.get("min_subtotal_cents"),
            "min_subtotal_of": c.get("min_subtotal_of", "matching_lines"),
            "first_order_only": c.get("first_order_only", False),
            "coupon_required": c.get("coupon_required", False),
            "action_type": a.get("type"),
            "applies_to": a.get("applies_to"),
            "value": value if not isinstance(value, dict) else None,
            "value_by_currency": ", ".join(f"{k}={v}" for k, v in value.items())
            if isinstance(value, dict)
            else "",
            "max_discount_cents": a.get("max_discount_cents"),
            "buy_quantity": a.get("buy_quantity"),
            "get_quantity": a.get("get_quantity"),
            "get_percent_off": a.get("get_percent_off"),
            "gift_sku": a.get("gift_sku"),
            "shipping_methods": _join(a.get("shipping_methods")),
            "excluded_skus": _join(ex.get("variants")),
            "excluded_categories": _join(ex.get("categories")),
            "excluded_products": _join(ex.get("products")),
            "exclude_sale_items": ex.get("sale_items", False),
            "total_uses": lim.get("total_uses"),
            "per_customer": lim.get("per_customer"),
            "budget_cents": lim.get("budget_cents"),
            "uses_per_code": cp.get("uses_per_code"),
        }
        for key, val in init.items():
            self.initial.setdefault(key, val)

    @staticmethod
    def _zone_for(markets) -> str:
        market = (
            Market.objects.filter(code__in=markets or []).order_by("code").first()
            or Market.objects.order_by("code").first()
        )
        return market.timezone if market else "UTC"

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        tz = zoneinfo.ZoneInfo(data.get("time_zone") or "UTC")
        by_currency = {}
        for pair in _csv(data.get("value_by_currency")):
            cur, _sep, amount = pair.partition("=")
            try:
                by_currency[cur.strip().upper()] = int(amount)
            except ValueError:
                self.add_error("value_by_currency", _("Write CURRENCY=cents, like USD=500."))
                return data
        window = {
            "starts_at": _aware(data.get("starts_at_local"), tz),
            "ends_at": _aware(data.get("ends_at_local"), tz),
        }
        action = {
            "type": data["action_type"],
            "applies_to": data["applies_to"],
            "value": by_currency or data.get("value"),
            "max_discount_cents": data.get("max_discount_cents"),
            "buy_quantity": data.get("buy_quantity"),
            "get_quantity": data.get("get_quantity"),
            "get_percent_off": data.get("get_percent_off"),
            "gift_sku": data.get("gift_sku") or None,
            "shipping_methods": _csv(data.get("shipping_methods")),
        }
        if action["type"] != "buy_x_get_y":
            for key in ("buy_quantity", "get_quantity", "get_percent_off"):
                action.pop(key)
        entry = {
            "id": (self.instance.pk if self.instance and self.instance.pk else data.get("id")),
            "name": data.get("name") or None,
            "status": data["status"],
            "priority": data.get("priority") or 0,
            "stacks_with": _csv(data.get("stacks_with")),
            "conditions": {
                "customer_segment": _csv(data.get("customer_segment")),
                "markets": _csv(data.get("markets")),
                "channels": _csv(data.get("channels")),
                "cart_contains": _drop(
                    {
                        "any_of_categories": _csv(data.get("any_of_categories")),
                        "all_of_categories": _csv(data.get("all_of_categories")),
                        "any_of_products": _csv(data.get("any_of_products")),
                        "any_of_skus": _csv(data.get("any_of_skus")),
                        "min_quantity": data.get("min_quantity"),
                    }
                ),
                "min_subtotal_cents": data.get("min_subtotal_cents"),
                "min_subtotal_of": data.get("min_subtotal_of"),
                "first_order_only": data.get("first_order_only"),
                "coupon_required": data.get("coupon_required"),
            },
            "time_window": _drop({k: v.isoformat() if v else None for k, v in window.items()}),
            "action": _drop(action),
            "exclusions": {
                "variants": _csv(data.get("excluded_skus")),
                "categories": _csv(data.get("excluded_categories")),
                "products": _csv(data.get("excluded_products")),
                "sale_items": data.get("exclude_sale_items"),
            },
            "limits": _drop(
                {k: data.get(k) for k in ("total_uses", "per_customer", "budget_cents")}
            ),
            "coupons": _drop(
                {
                    "codes": [c.upper() for c in _csv(data.get("codes"))],
                    "uses_per_code": data.get("uses_per_code"),
                }
            ),
        }
        entry = _drop(entry, keep={"id", "action"})
        if self.instance and self.instance.pk:
            have = list(self.instance.coupons.values_list("code", flat=True)[:10_000])
            entry.setdefault("coupons", {})["codes"] = sorted(
                set(have) | set(entry.get("coupons", {}).get("codes", []))
            )
        try:
            parse_rule(
                entry, market_currencies=dict(Market.objects.values_list("code", "currency"))
            )
        except RuleError as exc:
            for message in exc.errors:
                self.add_error(None, message)
            return data
        self.entry = entry
        self._warn_unmatched(entry)
        return data

    def _warn_unmatched(self, entry: dict) -> None:
        from fnmatch import fnmatchcase

        from catalog.models import Variant

        patterns = entry.get("exclusions", {}).get("variants", []) + entry.get(
            "conditions", {}
        ).get("cart_contains", {}).get("any_of_skus", [])
        for pattern in patterns:
            prefix = pattern.split("*")[0].split("?")[0]
            skus = Variant.objects.filter(sku__startswith=prefix).values_list("sku", flat=True)[
                :5000
            ]
            if not any(fnmatchcase(sku, pattern) for sku in skus):
                self.warnings.append(
                    f"The SKU pattern {pattern!r} matches no SKU in the catalog yet."
                )


def _drop(d: dict, keep=frozenset()) -> dict:
    return {k: v for k, v in d.items() if k in keep or v not in (None, "", [], {}, False)}


def _local(value, tz):
    if not value:
        return None
    return (
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        .astimezone(tz)
        .replace(tzinfo=None)
    )


def _aware(value, tz):
    if value is None:
        return None
    naive = value.replace(tzinfo=None)
    return naive.replace(tzinfo=tz)


class GenerateCouponsForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=10_000)
    pattern = forms.CharField(
        initial="SPR-????-????", help_text=_("Each ? becomes a random letter or digit.")
    )
    uses_per_code = forms.IntegerField(
        required=False, min_value=1, initial=1, help_text=_("Empty: unlimited")
    )


class ImportPromotionsForm(forms.Form):
    file = forms.FileField(required=False, help_text=_("YAML or JSON, one entry or a list."))
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 16, "cols": 90}))

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("text"):
            raise forms.ValidationError(_("Choose a file or paste the entries."))
        return data


class SimulateForm(forms.Form):
    market = forms.ModelChoiceField(queryset=Market.objects.order_by("code"))
    channel = forms.CharField(initial="web")
    segments = forms.CharField(required=False, help_text=_("Named segments, like vip"))
    first_order = forms.BooleanField(
        required=False, initial=True, label=_("First order (new customer)")
    )
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), help_text=_("One per line: SKU quantity")
    )
    codes = forms.CharField(required=False, help_text=_("Coupon codes on the cart"))
    shipping_method = forms.CharField(required=False)
    shipping_cents = forms.IntegerField(required=False, min_value=0)
    at = forms.DateTimeField(
        required=False,
        label=_("At (UTC; empty: now)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    include_drafts = forms.BooleanField(required=False)
