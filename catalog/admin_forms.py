"""Forms and formsets of the catalog admin: the product page's option, variant, identifier,
image and attribute rows, and the product form itself.

They check the shape of what a merchandiser types (prices as decimals, option values typed as
text, the submit's own rows) and write nothing: catalog.admin saves through catalog.services,
which apply the catalog's rules, and puts a refusal back on the rows it names (`refusal`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.identifiers import InvalidIdentifier, normalize_identifier
from catalog.importers.base import split_list
from catalog.models import Option, Product, Variant, VariantIdentifier, VariantPrice
from catalog.services.validation import taken_combinations
from shop.admin_mixins import RefusalFormMixin, RefusalFormSet
from shop.forms import StorableTextMixin
from shop.models import Market
from shop.money import MACHINE_LOCALE, AmountInputError, format_amount_input, parse_money_input
from shop.money_fields import MarketCurrencyField, MoneyAmountField, market_locales


def inline_currencies() -> list[str]:
    """Currencies with a price column on the variant inline: the active markets'."""
    currencies = Market.objects.filter(is_active=True).values_list("currency", flat=True)
    return list(dict.fromkeys(currencies)) or ["USD", "CAD", "EUR"]


class OptionForm(forms.ModelForm):
    values = forms.CharField(
        label=_("Values"),
        help_text=_("In display order, separated by commas: S, M, L"),
        widget=forms.TextInput(attrs={"size": 50}),
    )

    class Meta:
        model = Option
        fields = ["name", "values"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["values"] = ", ".join(v.value for v in self.instance.values.all())

    def clean_values(self) -> list[str]:
        values = split_list(self.cleaned_data["values"])
        seen = set()
        for value in values:
            if value.lower() in seen:
                raise ValidationError(_("'%(value)s' is listed twice."), params={"value": value})
            seen.add(value.lower())
        if not values:
            raise ValidationError(_("Give at least one value."))
        return values


class OptionFormSet(RefusalFormSet):
    def kept_forms(self) -> list[OptionForm]:
        return [
            form
            for form in self.forms
            if form.cleaned_data.get("name") and not form.cleaned_data.get("DELETE")
        ]

    def kept_options(self) -> list[tuple[str, list[str]]]:
        return [(f.cleaned_data["name"], f.cleaned_data["values"]) for f in self.kept_forms()]


class VariantInlineForm(forms.ModelForm):
    """A variant row: SKU, one value per option, weight, status and a price per currency."""

    currencies: tuple[str, ...] = ()

    class Meta:
        model = Variant
        fields = ["sku", "weight_grams", "status", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        variant = self.instance
        if variant.pk:
            # SKU is identity: shown, never editable (clean_sku refuses a forged change).
            self.fields["sku"].widget.attrs.update(readonly=True, tabindex="-1")
            values = {ov.option_id: ov.value for ov in variant.option_values.all()}
            options = list(variant.product.options.all())
            for n, option in enumerate(options[:3], start=1):
                self.initial[f"option{n}"] = values.get(option.pk, "")
            prices = {p.currency: p.amount_cents for p in variant.prices.all()}
            for currency in self.currencies:
                if currency in prices:
                    self.initial[f"price_{currency}"] = prices[currency]  # the field formats

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        if self.instance.pk and sku != self.instance.sku:
            raise ValidationError(
                _("The SKU cannot change once saved (it is %(sku)s). Add a new variant instead."),
                params={"sku": self.instance.sku},
            )
        return sku

    def clean(self):
        cleaned = super().clean()
        # Minor units (or None) per currency; a column that did not parse has its own error.
        self.prices = {
            currency: cleaned[f"price_{currency}"]
            for currency in self.currencies
            if f"price_{currency}" in cleaned
        }
        return cleaned


def variant_inline_form(
    currencies: list[str], option_names: list[str], locales: dict[str, str] | None = None
) -> type:
    """A VariantInlineForm class with option columns named after the product's options and a
    price column per currency, typed in the locale of the market selling in it."""
    locales = market_locales() if locales is None else locales
    attrs: dict = {"currencies": tuple(currencies)}
    for n in range(1, 4):
        label = option_names[n - 1] if n <= len(option_names) else _("Option %(n)d") % {"n": n}
        attrs[f"option{n}"] = forms.CharField(
            label=label, required=False, widget=forms.TextInput(attrs={"size": 8})
        )
    for currency in currencies:
        attrs[f"price_{currency}"] = MoneyAmountField(
            currency=currency,
            locale=locales.get(currency, MACHINE_LOCALE),
            label=_("Price %(currency)s") % {"currency": currency},
        )
    return type("VariantInlineForm", (VariantInlineForm,), attrs)


class VariantFormSet(RefusalFormSet):
    """Each variant picks exactly one value per option; no two variants share a combination."""

    option_formset: OptionFormSet | None = None

    def options(self) -> list[tuple[str, list[str]]] | None:
        if self.option_formset is not None:
            if not self.option_formset.is_valid():
                return None  # the option rows show their own errors first
            return self.option_formset.kept_options()
        product = self.instance
        if not product.pk:
            return []
        return [(o.name, [v.value for v in o.values.all()]) for o in product.options.all()]

    def clean(self):
        super().clean()
        options = self.options()
        if options is None:
            return
        names = [name for name, _values in options]
        rows = []
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            if not form.instance.pk and not form.has_changed():
                continue
            chosen = self._choose(form, options)
            if chosen is not None:
                rows.append((index, dict(zip(names, chosen, strict=True))))
        # The rule is the services' (taken_combinations); here it is worded for the page's rows.
        for index, earlier in taken_combinations(rows):
            label = " / ".join(self.forms[index].chosen_values) or _("no options")
            self.forms[index].add_error(
                None,
                _("Variant %(n)d already has these options (%(label)s).")
                % {"n": earlier + 1, "label": label},
            )

    def _choose(self, form, options) -> list[str] | None:
        chosen, ok = [], True
        for n in range(1, 4):
            typed = (form.cleaned_data.get(f"option{n}") or "").strip()
            if n > len(options):
                if typed:
                    form.add_error(f"option{n}", _("The product has no option %(n)d.") % {"n": n})
                    ok = False
                continue
            name, values = options[n - 1]
            match = next((v for v in values if v.lower() == typed.lower()), None)
            if not typed:
                form.add_error(f"option{n}", _("Choose a %(name)s.") % {"name": name})
                ok = False
            elif match is None:
                form.add_error(
                    f"option{n}",
                    _("'%(typed)s' is not a %(name)s (%(values)s).")
                    % {"typed": typed, "name": name, "values": ", ".join(values)},
                )
                ok = False
            else:
                chosen.append(match)
        form.chosen_values = chosen
        return chosen if ok else None


def _amount_input(label) -> forms.CharField:
    widget = forms.TextInput(attrs={"size": 10, "inputmode": "decimal"})
    return forms.CharField(label=label, required=False, widget=widget)


class VariantPriceForm(forms.ModelForm):
    """A row of the variant page's price list: a market's currency, and decimal amounts typed
    in that market's locale, as in the product page's price columns. The amounts are read
    once the currency is known (clean) into cleaned_data's amount_cents/compare_at_cents."""

    amount = _amount_input(_("Price"))
    compare_at = _amount_input(_("Compare-at price"))

    class Meta:
        model = VariantPrice
        fields = ["currency"]

    def __init__(self, *args, locales: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.locales = locales
        price = self.instance
        self.fields["currency"] = MarketCurrencyField(
            currencies=list(locales), keep=price.currency if price.pk else None
        )
        if price.pk:
            locale = self.locales.get(price.currency, MACHINE_LOCALE)
            for field, cents in (
                ("amount", price.amount_cents),
                ("compare_at", price.compare_at_cents),
            ):
                if cents is not None:
                    self.initial[field] = format_amount_input(cents, price.currency, locale)

    def clean(self):
        cleaned = super().clean()
        currency = cleaned.get("currency")
        if not currency:
            return cleaned  # the currency field says why
        locale = self.locales.get(currency, MACHINE_LOCALE)
        for field, minor_units in (("amount", "amount_cents"), ("compare_at", "compare_at_cents")):
            text = (cleaned.get(field) or "").strip()
            if not text and field == "compare_at":
                cleaned[minor_units] = None
                continue
            try:
                cleaned[minor_units] = parse_money_input(text, currency=currency, locale=locale)
            except AmountInputError as exc:
                self.add_error(field, str(exc))
        return cleaned


class VariantPriceFormSet(RefusalFormSet):
    """Looks up the markets' currencies and locales once for all its rows."""

    def __init__(self, *args, **kwargs):
        self.locales = market_locales()
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "locales": self.locales}


class VariantIdentifierForm(forms.ModelForm):
    """Identifier values are normalised and check-digit validated as every interface does.

    The value is checked here, against the row's kind, so a problem gets one message naming
    the identifier (the model's clean() would otherwise add a second about an empty value).
    """

    value = forms.CharField(label=_("Value"))  # length is a per-kind rule: normalize_identifier

    class Meta:
        model = VariantIdentifier
        fields = ["kind", "value"]

    def clean_value(self):
        kind, value = self.cleaned_data.get("kind"), self.cleaned_data["value"]
        if not kind:
            return value
        try:
            return normalize_identifier(kind, value)
        except InvalidIdentifier as exc:
            raise ValidationError(f"{kind.upper()}: {exc}") from None

    def _post_clean(self):
        own = list(self.errors.get("value", []))
        super()._post_clean()
        if own:
            self.errors["value"] = self.error_class(own)
        elif "value" in self.errors:
            kind = self.cleaned_data.get("kind", "")
            self.errors["value"] = self.error_class(
                [f"{kind.upper()}: {message}" for message in self.errors["value"]]
            )


class SharedChoicesFormSet(forms.BaseInlineFormSet):
    """Evaluate the choices of `shared_choice_fields` once for every row of the inline.

    A ModelChoiceField runs its query each time a row renders; a product with 40 images would
    cost 40 identical queries. Validation still goes through the field's queryset.
    """

    shared_choice_fields: tuple[str, ...] = ()

    def add_fields(self, form, index):
        super().add_fields(form, index)
        cache = self.__dict__.setdefault("_shared_choices", {})
        for name in self.shared_choice_fields:
            field = form.fields[name]
            if name not in cache:
                cache[name] = list(field.choices)
            field.widget.choices = cache[name]
            inner = getattr(field.widget, "widget", None)  # the admin's related-field wrapper
            if inner is not None:
                inner.choices = cache[name]


class AttributeValueFormSet(SharedChoicesFormSet):
    shared_choice_fields = ("attribute",)


class MediaFormSet(SharedChoicesFormSet):
    shared_choice_fields = ("variant",)


class TagsField(forms.CharField):
    """Tags as merchandisers type them ("summer, organic"), stored as a JSON list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        tags = [tag.strip() for tag in text.split(",") if tag.strip()]
        return list(dict.fromkeys(tags))  # drop repeats, keep the typed order


class ProductAdminForm(StorableTextMixin, RefusalFormMixin, forms.ModelForm):
    tags = TagsField(
        required=False, help_text=_("Comma-separated, e.g. summer, organic, gift idea.")
    )

    class Meta:
        model = Product
        fields = ["tags"]  # the admin adds the fieldsets' fields


class VariantAdminForm(RefusalFormMixin, forms.ModelForm):
    class Meta:
        model = Variant
        fields = ["title", "weight_grams", "status", "position"]
