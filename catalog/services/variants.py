"""Options and variants as a merchandiser edits them: a product's options and variant rows (the
admin's product page), and one variant's own fields, prices and identifiers (its own page).

The rules are the API's (catalog.services.validation: SKUs, option values, amounts, currencies,
identifiers) and the rows are written by catalog.services.writing, the API's writer. Every
problem is raised at once as ValidationFailed, nothing written; its `fields` mirror the input:
`{"options": {"0": {"values": [...]}}, "variants": {"2": {"prices": {"USD": {"amount": [...]}}}}}`
(rows by their index in the input, prices by currency).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat

from catalog.models import Option, OptionValue, Product, Variant, VariantPrice, VariantStatus
from catalog.services.search_index import refresh_search_documents
from catalog.services.storefront_versions import bump_price_versions, bump_product_versions
from catalog.services.validation import (
    Errors,
    check_catalog,
    check_live,
    clean_identifiers,
    clean_option_values,
    clean_options,
    clean_price,
    clean_sku,
    clean_variant,
    taken_combinations,
)
from catalog.services.writing import (
    SKU,
    Unique,
    create_identifiers,
    option_lookup,
    unique_or_conflict,
    write_variant,
)
from catalog.services.writing import (
    audit as audit_change,
)

MAX_POSITION = 2**31 - 1


@dataclass(frozen=True)
class OptionInput:
    """One option as it should be: its name and its values in display order."""

    name: str
    values: Sequence[str]
    option: Option | None = None  # the option this row edits: a rename keeps its values


@dataclass(frozen=True)
class VariantInput:
    """One variant row: a new SKU (`variant` None) or the new state of `variant`.

    `prices` are amounts in minor units by currency; None removes that currency's price and
    currencies left out keep theirs (a changed amount keeps its compare-at price).
    """

    sku: str
    option_values: Mapping[str, str]
    weight_grams: int | None = None
    status: str = VariantStatus.ACTIVE
    position: int = 0
    prices: Mapping[str, int | None] = field(default_factory=dict)
    variant: Variant | None = None


@dataclass
class _Planned:
    index: int | None  # the option's row in the input; None when options are left alone
    option: Option | None
    name: str
    values: list[tuple[OptionValue | None, str]]


@transaction.atomic
def save_product_options(
    *, product: Product, options: Sequence[OptionInput], actor, audit: bool = True
) -> list[Option]:
    """Make the product's options exactly `options`: create, rename, reorder and remove options
    and values (values match case-insensitively, so "red" re-cases "Red").

    Refuses to remove a value a variant still uses, or to add an option while variants have no
    value for it. Locks as save_product_variants; raises ValidationFailed (nothing written).
    """
    save_product_variants(product=product, options=options, variants=(), actor=actor, audit=audit)
    return list(Option.objects.filter(product=product).prefetch_related("values"))


@transaction.atomic
def save_product_variants(
    *,
    product: Product,
    options: Sequence[OptionInput] | None,
    variants: Sequence[VariantInput],
    removed: Collection[Variant] = (),
    actor,
    audit: bool = True,
) -> list[Variant]:
    """Set the product's options (None: leave them) and add, change or remove variants, as one
    step: rows may swap combinations and move to values added in the same call.

    Existing variants keep their SKU; a new SKU must be new to the catalog, including SKUs of
    removed variants. Removing a variant archives it (never deleted, so its SKU is never
    reused; its combination is free again). Every live variant left must have one value per
    option and its own combination. Locks the product row, then its variant rows in pk order
    (update_variant's order). Raises ValidationFailed naming every problem (nothing written),
    Conflict when a concurrent writer takes a SKU first (under the row's `sku`). `audit` False
    leaves the history row to a caller that writes its own (the admin). Returns the variants
    of `variants`, in order.
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    locked = {
        v.pk: v
        for v in Variant.objects.select_for_update()
        .filter(product=product)
        .prefetch_related("option_values")
        .order_by("pk")
    }
    current = list(product.options.prefetch_related("values"))
    errors = Errors()
    plan = _plan_options(errors, current, options)
    gone = {v.pk for v in removed}
    rows = _check_rows(errors, plan, variants, locked, gone)
    edited = gone | {r[1].pk for r in rows if r[1]}
    untouched = [v for pk, v in locked.items() if pk not in edited and not v.is_archived]
    _check_left_alone(errors, plan, untouched)
    _check_combinations(errors, plan, untouched, rows)
    errors.raise_if_any()
    gone = {pk for pk in gone if not locked[pk].is_archived}  # removing twice changes nothing
    new_rows = {clean["sku"]: path for path, variant, clean, _ in rows if variant is None}

    def locate(rule: Unique, value: str) -> tuple:
        path = new_rows.get(value) if rule is SKU else None
        return (*path, "sku") if path else (rule.field,)

    with unique_or_conflict(locate=locate):
        if options is not None:
            _write_options(product, current, plan)
        written = _write_rows(product, rows, [locked[pk] for pk in sorted(gone)])
    refresh_search_documents(product_ids=[product.pk])
    bump_product_versions(product_ids=[product.pk])
    if audit and (options is not None or written or gone):
        message = f"Saved options and {len(written)} variant(s); removed {len(gone)} variant(s)."
        audit_change(actor, product, CHANGE, message)
    return written


@transaction.atomic
def update_variant_details(
    *,
    variant: Variant,
    title: str,
    weight_grams: int | None,
    status: str,
    position: int,
    actor,
    audit: bool = True,
) -> Variant:
    """Change a variant's title, weight, status and position (the SKU and options stay).

    Locks the product row, then the variant row. Raises ValidationFailed (nothing written).
    """
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    errors = Errors()
    check_live(errors, (), variant)
    errors.raise_if_any()
    data = {"title": title, "weight_grams": weight_grams, "status": status}
    clean = clean_variant(data, errors, (), options={}, partial=True, sku=variant.sku)
    _check_position(errors, (), position, sku=variant.sku)
    errors.raise_if_any()
    clean = {key: clean[key] for key in data} | {"position": position}
    variant, changed = write_variant(product, clean, {}, variant=variant)
    refresh_search_documents(product_ids=[product.pk])  # an inactive variant leaves the index
    bump_product_versions(product_ids=[product.pk])
    if audit:
        audit_change(
            actor, product, CHANGE, f"Changed variant {variant.sku}: {', '.join(changed)}."
        )
    return variant


@transaction.atomic
def set_variant_prices(
    *,
    variant: Variant,
    prices: Mapping[str, tuple[int, int | None] | None],
    actor,
    audit: bool = True,
) -> Variant:
    """Set a variant's price (amount, compare-at) in each currency named; None removes it.

    Currencies left out keep their price. Locks the product row, then the variant row. Raises
    ValidationFailed with problems under `prices.<currency>` (nothing written).
    """
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    errors = Errors()
    check_live(errors, (), variant)
    for currency, price in prices.items():
        if price is not None:
            item = {"amount": price[0], "currency": currency, "compare_at_amount": price[1]}
            clean_price(errors, ("prices", currency), item, sku=variant.sku)
    errors.raise_if_any()
    variant.prices.filter(currency__in=[c for c, p in prices.items() if p is None]).delete()
    for currency, price in prices.items():
        if price is not None:
            VariantPrice.objects.update_or_create(
                variant=variant,
                currency=currency,
                defaults={"amount_cents": price[0], "compare_at_cents": price[1]},
            )
    refresh_search_documents(product_ids=[product.pk])  # the currencies it sells in
    bump_product_versions(product_ids=[product.pk])
    bump_price_versions()  # cached promotion results (promotions.selectors)
    if audit and prices:
        audit_change(actor, product, CHANGE, f"Changed variant {variant.sku}: prices.")
    return variant


@transaction.atomic
def change_variant_identifiers(
    *,
    variant: Variant,
    add: Sequence[tuple[str, str]] = (),
    remove: Collection[tuple[str, str]] = (),
    actor,
    audit: bool = True,
) -> Variant:
    """Remove the variant's (kind, value) identifiers in `remove`, then add those in `add`.

    Added values are normalised and check-digit validated (catalog.identifiers) and must be
    new to the catalog. Locks the product row, then the variant row. Raises ValidationFailed
    with problems under `identifiers.<index in add>` (nothing written), Conflict when a
    concurrent writer takes a value first.
    """
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    errors = Errors()
    check_live(errors, (), variant)
    items = [{"kind": kind, "value": value} for kind, value in add]
    added = clean_identifiers(errors, ("identifiers",), items, sku=variant.sku)
    check_catalog(errors, [((), {"sku": variant.sku, "identifiers": added})], exclude=variant)
    kept = set(variant.identifiers.values_list("kind", "value")) - set(remove)
    for ident in added:
        if (ident["kind"], ident["value"]) in kept:
            message = (
                f"{ident['kind'].upper()} {ident['value']} already belongs to SKU {variant.sku}."
            )
            errors.add(("identifiers", ident["index"], "value"), message, sku=variant.sku)
    errors.raise_if_any()
    with unique_or_conflict():
        if remove:
            pairs = Q(pk__in=[])
            for kind, value in remove:
                pairs |= Q(kind=kind, value=value)
            variant.identifiers.filter(pairs).delete()
        create_identifiers(variant, added)
    if audit and (add or remove):
        audit_change(actor, product, CHANGE, f"Changed variant {variant.sku}: identifiers.")
    return variant


# --- checks ----------------------------------------------------------------------------------


def _plan_options(errors, current: list[Option], options) -> list[_Planned]:
    """The options as they will be, each matched to the existing option and values it keeps."""
    if options is None:
        return [_Planned(None, o, o.name, [(v, v.value) for v in o.values.all()]) for o in current]
    clean_options([{"name": o.name, "values": list(o.values)} for o in options], errors)
    by_pk = {o.pk: o for o in current}
    claimed = {o.option.pk for o in options if o.option is not None}
    plan, names = [], {}
    for i, spec in enumerate(options):
        name = spec.name.strip() if isinstance(spec.name, str) else ""
        if name and names.setdefault(name.lower(), name) != name:  # exact: clean_options
            errors.add(("options", i, "name"), f"The option {name!r} is given twice.")
        if spec.option is not None:
            existing = by_pk.get(spec.option.pk)
            if existing is None:
                errors.add(("options", i, "non_field_errors"), "Not an option of this product.")
        else:  # a new row named like a removed option keeps that option and its values
            existing = next((o for o in current if o.name == name and o.pk not in claimed), None)
            claimed |= {existing.pk} if existing else set()
        known = {v.value.lower(): v for v in existing.values.all()} if existing else {}
        values, seen = [], {}
        for j, text in enumerate(spec.values):
            text = text.strip() if isinstance(text, str) else ""
            if text and seen.get(text.lower(), text) != text:  # exact repeats: clean_options
                errors.add(("options", i, "values", j), f"The value {text!r} is given twice.")
            elif text and text.lower() not in seen:
                seen[text.lower()] = text
                values.append((known.get(text.lower()), text))
        plan.append(_Planned(i, existing, name, values))
    return plan


def _check_rows(errors, plan, variants, locked: dict, gone: set[int]) -> list[tuple]:
    """(path, locked variant or None, clean body, prices) of each row."""
    options = {p.name: [text for _, text in p.values] for p in plan}
    if gone - set(locked):
        errors.add(("variants",), "A variant to remove is not a variant of this product.")
    rows, new_skus = [], {}
    for i, row in enumerate(variants):
        path = ("variants", i)
        variant = locked.get(row.variant.pk) if row.variant is not None else None
        if row.variant is not None and (variant is None or variant.pk in gone):
            errors.add((*path, "non_field_errors"), "Not a variant of this product.")
            continue
        if variant is not None and variant.is_archived:
            check_live(errors, path, variant)
            continue
        if variant is None:
            sku = clean_sku(errors, (*path, "sku"), row.sku)
            if sku in new_skus:
                message = f"The SKU is also used by variants[{new_skus[sku]}]."
                errors.add((*path, "sku"), message, sku=sku)
            new_skus.setdefault(sku, i)
        else:
            sku = variant.sku
            if row.sku != sku:
                message = f"The SKU cannot change once saved (it is {sku!r})."
                errors.add((*path, "sku"), message, sku=sku)
        data = {"weight_grams": row.weight_grams, "status": row.status}
        clean = clean_variant(data, errors, path, options={}, partial=True, sku=sku) or {}
        clean["option_values"] = clean_option_values(
            errors, (*path, "option_values"), dict(row.option_values), options, sku=sku
        )
        _check_position(errors, path, row.position, sku=sku)
        prices = {}
        for currency, amount in row.prices.items():
            item = {"amount": amount, "currency": currency}
            if amount is None or clean_price(errors, (*path, "prices", currency), item, sku=sku):
                prices[currency] = amount
        clean |= {"sku": sku, "position": row.position}
        rows.append((path, variant, clean, prices))
    new = [(path, clean) for path, variant, clean, _ in rows if variant is None and clean["sku"]]
    check_catalog(errors, [(path, {"sku": c["sku"], "identifiers": []}) for path, c in new])
    return rows


def _check_position(errors, path, position, *, sku) -> None:
    ok = isinstance(position, int) and not isinstance(position, bool)
    if not ok or not 0 <= position <= MAX_POSITION:
        errors.add((*path, "position"), "Expected a whole number, 0 or more.", sku=sku)


def _check_left_alone(errors, plan: list[_Planned], untouched: list[Variant]) -> None:
    """Variants not in the call keep their values: none may be removed, and an added option
    needs a value on each of them."""
    if any(p.index is None for p in plan):
        return  # options left alone
    kept = {value.pk for p in plan for value, _ in p.values if value is not None}
    rows = {p.option.pk: p for p in plan if p.option is not None}
    added = [p for p in plan if p.option is None]
    for variant in untouched:
        for value in variant.option_values.all():
            if value.pk not in kept:
                planned = rows.get(value.option_id)
                where = ("options",) if planned is None else ("options", planned.index, "values")
                message = f"{value.value!r} is used by variant {variant.sku!r}; change it first."
                errors.add(where, message)
        for planned in added:
            message = f"Variant {variant.sku!r} has no {planned.name}; give it one first."
            errors.add(("options", planned.index, "name"), message)


def _check_combinations(errors, plan: list[_Planned], untouched: list[Variant], rows) -> None:
    """No two live variants of the product may end up with the same option values (the rule is
    validation.taken_combinations; the untouched variants are read through the plan, as their
    options may be renamed in the same call)."""
    names = {value.pk: (p.name, text) for p in plan for value, text in p.values if value}
    taken: dict[frozenset, str] = {}
    for variant in untouched:
        combination = frozenset(names.get(v.pk) for v in variant.option_values.all())
        taken.setdefault(combination, variant.sku)
    complete = [  # a row with a value missing or unknown is already reported
        ((path, clean["sku"]), clean["option_values"])
        for path, _, clean, _ in rows
        if len(clean["option_values"]) == len(plan)
    ]
    for (path, sku), holder in taken_combinations(complete, taken=taken, holder=lambda k: k[1]):
        message = f"Variant {holder!r} already has these option values."
        errors.add((*path, "option_values"), message, sku=sku)


# --- writing ---------------------------------------------------------------------------------


def _write_options(product: Product, current: list[Option], plan: list[_Planned]) -> None:
    """Remove what the plan drops, then rename, reorder and add (renames go through a free
    name first, so two options may swap names)."""
    kept_values = {value.pk for p in plan for value, _ in p.values if value is not None}
    kept_options = {p.option.pk for p in plan if p.option is not None}
    Option.objects.filter(product=product).exclude(pk__in=kept_options).delete()
    OptionValue.objects.filter(option__product=product).exclude(pk__in=kept_values).delete()
    renamed = [p.option for p in plan if p.option is not None and p.option.name != p.name]
    Option.objects.filter(pk__in=[o.pk for o in renamed]).update(
        name=Concat(Value("~"), Cast("pk", CharField()))
    )
    for position, planned in enumerate(plan):
        option = planned.option
        if option is None:
            option = Option.objects.create(product=product, name=planned.name, position=position)
        elif (option.name, option.position) != (planned.name, position) or option in renamed:
            option.name, option.position = planned.name, position
            option.save(update_fields=["name", "position"])
        for i, (value, text) in enumerate(planned.values):
            if value is None:
                OptionValue.objects.create(option=option, value=text, position=i)
            elif (value.value, value.position) != (text, i):
                value.value, value.position = text, i
                value.save(update_fields=["value", "position"])


def _write_rows(product: Product, rows: list[tuple], gone: list[Variant]) -> list[Variant]:
    """Archive the removed variants, then write each row; combinations are freed first so rows
    may swap them (an archived variant holds none)."""
    for variant in gone:
        write_variant(product, {"status": VariantStatus.ARCHIVED}, {}, variant=variant)
    changing = [variant.pk for _, variant, _, _ in rows if variant is not None]
    Variant.objects.filter(pk__in=changing).update(
        option_key=Concat(Value("~"), Cast("pk", CharField()))
    )
    lookup = option_lookup(product)
    written = []
    for _, variant, clean, prices in rows:
        if variant is None:
            clean |= {"identifiers": []}
            clean["prices"] = [
                {"currency": c, "amount": a} for c, a in prices.items() if a is not None
            ]
            variant, _ = write_variant(product, clean, lookup)
        else:
            variant, _ = write_variant(product, clean, lookup, variant=variant)
            _merge_prices(variant, prices)
        written.append(variant)
    return written


def _merge_prices(variant: Variant, prices: Mapping[str, int | None]) -> None:
    bump_price_versions()  # cached promotion results (promotions.selectors)
    variant.prices.filter(currency__in=[c for c, a in prices.items() if a is None]).delete()
    for currency, amount in prices.items():
        if amount is not None:
            VariantPrice.objects.update_or_create(
                variant=variant, currency=currency, defaults={"amount_cents": amount}
            )
