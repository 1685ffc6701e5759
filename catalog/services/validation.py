"""Validation of the catalog write body: every problem found at once, nothing written.

Every rule is checked before anything is written and every problem is reported at once, as
`ValidationFailed(fields=...)`. `fields` mirrors the shape of the body it refers to: objects by
key, list items by their index as a string, messages in a list at the leaf, for example
`{"variants": {"2": {"identifiers": {"0": {"value": ["'4006381333932' has a wrong check digit
for a EAN."]}}}}}`. A message about a whole object sits under its `non_field_errors`
(a message about a whole field, such as a taken option combination, is the field's list).
`detail` repeats the first problem with its location and the variant's SKU.

The public names here are the package's own building blocks (catalog.services.products uses
them); callers outside catalog.services use the services it re-exports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import TypeVar

from django.db.models import Prefetch

from catalog.identifiers import (
    SKU_MAX_LENGTH,
    InvalidIdentifier,
    normalize_identifier,
    normalize_sku,
)
from catalog.models import (
    SETTABLE_VARIANT_STATUSES,
    Category,
    OptionValue,
    Product,
    ProductStatus,
    Variant,
    VariantIdentifier,
)
from shop.exceptions import ValidationFailed
from shop.money import is_known_currency
from shop.text import text_problem

K = TypeVar("K", bound=Hashable)
Combination = frozenset[tuple[str, str]]  # {(option name, value)}

# A handle is part of the product's URL: the API serializers declare the same pattern.
HANDLE_PATTERN = re.compile(r"[a-z0-9_-]+")
HANDLE_MAX_LENGTH = 200  # Product.handle
HANDLE_MESSAGE = "Use lower-case letters, digits, hyphens and underscores only."
VARIANT_STATUS_MESSAGE = "Unknown status; use active or inactive."
MAX_AMOUNT = 2**63 - 1  # PostgreSQL bigint
MAX_WEIGHT_GRAMS = 2**31 - 1
PRODUCT_UPDATE_KEYS = frozenset(
    {"handle", "title", "description", "brand", "categories", "status", "product_type"}
    | {"tags", "seo_title", "seo_description"}
)
PRODUCT_CREATE_KEYS = PRODUCT_UPDATE_KEYS | {"options", "variants"}
VARIANT_KEYS = frozenset(
    {"sku", "title", "option_values", "prices", "weight_grams", "identifiers", "status"}
)
# (field, max length, may be blank) of the product's plain text fields.
PRODUCT_TEXT_FIELDS = (
    ("title", 255, False),
    ("description", 100_000, True),
    ("product_type", 120, True),
    ("seo_title", 200, True),
    ("seo_description", 320, True),
)


class Errors:
    """Problems keyed by their path in the body; raised together as one ValidationFailed."""

    def __init__(self):
        self.tree: dict = {}
        self.count = 0
        self.first = ""

    def add(self, path: tuple, message: str, *, sku: str | None = None) -> None:
        path = tuple(str(p) for p in path)
        path = path or ("non_field_errors",)
        node = self.tree
        for key in path[:-1]:
            if isinstance(node.get(key), list):
                node[key] = {"non_field_errors": node[key]}
            node = node.setdefault(key, {})
        leaf = node.setdefault(path[-1], [])
        if isinstance(leaf, dict):
            leaf = leaf.setdefault("non_field_errors", [])
        leaf.append(message)
        if not self.count:
            where = _describe(path)
            where = " ".join(part for part in (f"Variant {sku!r}" if sku else "", where) if part)
            self.first = f"{where}: {message}" if where else message
        self.count += 1

    def raise_if_any(self) -> None:
        if self.count:
            more = f" ({self.count - 1} more problem(s) in `fields`.)" if self.count > 1 else ""
            raise ValidationFailed(self.first + more, fields=self.tree)


def _describe(path: tuple) -> str:
    """("variants", 2, "sku") -> "variants[2].sku"."""
    text = ""
    for key in map(str, path):
        if key != "non_field_errors":
            text += f"[{key}]" if key.isdigit() else (f".{key}" if text else key)
    return text


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(errors, path, value, *, max_length: int, blank: bool = True, sku=None) -> str | None:
    """A string field, or None after recording why it is not acceptable."""
    if value is None and blank:
        return ""
    if not isinstance(value, str):
        errors.add(path, "Expected a string.", sku=sku)
        return None
    value = value.strip()
    if problem := text_problem(value):  # NUL or a lone surrogate: PostgreSQL cannot store it
        errors.add(path, problem, sku=sku)
    elif not value and not blank:
        errors.add(path, "This field may not be blank.", sku=sku)
    elif len(value) > max_length:
        errors.add(path, f"At most {max_length} characters.", sku=sku)
    else:
        return value
    return None


def _all_storable(errors, path, values: list[str]) -> bool:
    """Whether every string in `values` is storable text; records each one that is not."""
    problems = [(i, text_problem(value)) for i, value in enumerate(values)]
    for i, problem in problems:
        if problem:
            errors.add((*path, i), problem)
    return not any(problem for _, problem in problems)


def _unknown_keys(errors, path, data: dict, allowed: frozenset, *, sku=None) -> None:
    for key in sorted(set(data) - allowed, key=str):
        errors.add((*path, key), f"Unknown field; expected one of {sorted(allowed)}.", sku=sku)


def clean_product(data, errors: Errors, *, product: Product | None) -> dict:
    """The product's own fields from a create (product None) or PATCH body."""
    if not isinstance(data, dict):
        errors.add((), "Expected a JSON object.")
        return {}
    creating = product is None
    _unknown_keys(errors, (), data, PRODUCT_CREATE_KEYS if creating else PRODUCT_UPDATE_KEYS)
    clean: dict = {}
    if creating and "title" not in data:
        errors.add(("title",), "This field is required.")
    for field, max_length, blank in PRODUCT_TEXT_FIELDS:
        if field in data:
            value = _text(errors, (field,), data[field], max_length=max_length, blank=blank)
            if value is not None:
                clean[field] = value
    if data.get("handle") is not None or not creating and "handle" in data:
        handle = clean_handle(errors, data["handle"], product=product)
        if handle is not None:
            clean["handle"] = handle
    if "brand" in data:
        brand = _text(errors, ("brand",), data["brand"], max_length=120)
        if brand is not None:
            clean["brand"] = brand
    if "status" in data:
        if data["status"] in ProductStatus.values:
            clean["status"] = data["status"]
        else:
            errors.add(
                ("status",), f"Unknown status {data['status']!r}; use draft, active or archived."
            )
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            errors.add(("tags",), "Expected a list of non-empty strings.")
        elif _all_storable(errors, ("tags",), tags):
            clean["tags"] = list(dict.fromkeys(t.strip()[:100] for t in tags))
    if "categories" in data:
        categories = _clean_categories(errors, data["categories"])
        if categories is not None:
            clean["categories"] = categories
    return clean


def handle_problem(handle: str) -> str | None:
    """Why `handle` (stripped text) is not a handle's shape, or None: the rule the API
    serializers declare too (catalog.api.serializers.HandleField)."""
    return None if HANDLE_PATTERN.fullmatch(handle) else HANDLE_MESSAGE


def clean_handle(errors, value, *, product: Product | None) -> str | None:
    """The handle's shape, and that no other product has it (`product`: the one being saved)."""
    handle = _text(errors, ("handle",), value, max_length=HANDLE_MAX_LENGTH, blank=False)
    if handle is None:
        return None
    problem = handle_problem(handle)
    if problem:
        errors.add(("handle",), problem)
        return None
    taken = Product.objects.filter(handle=handle)
    if product is not None:
        taken = taken.exclude(pk=product.pk)
    if taken.exists():
        errors.add(("handle",), f"A product with the handle {handle!r} already exists.")
        return None
    return handle


def _clean_categories(errors, value) -> list[Category] | None:
    """Categories by slug path ("apparel/hoodies") or, when unambiguous, by bare slug."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(("categories",), "Expected a list of category slugs or slug paths.")
        return None
    if not _all_storable(errors, ("categories",), value):
        return None
    wanted = [v.strip().strip("/") for v in value]
    found = {c.path: c for c in Category.objects.filter(path__in=wanted)}
    categories = []
    for i, ref in enumerate(wanted):
        category = found.get(ref)
        if category is None:
            matches = list(Category.objects.filter(slug=ref)[:2])
            if len(matches) == 1:
                category = matches[0]
            elif matches:
                errors.add(("categories", i), f"{ref!r} is ambiguous; give its path.")
                continue
            else:
                errors.add(("categories", i), f"There is no category {ref!r}.")
                continue
        categories.append(category)
    return categories


def clean_options(value, errors: Errors) -> dict[str, list[str]]:
    """{option name: [values]} from `options: [{name, values[]}]`, in the given order."""
    options: dict[str, list[str]] = {}
    if not isinstance(value, list):
        errors.add(("options",), "Expected a list of {name, values}.")
        return options
    for i, spec in enumerate(value):
        path = ("options", i)
        if not isinstance(spec, dict):
            errors.add((*path, "non_field_errors"), "Expected an object with name and values.")
            continue
        _unknown_keys(errors, path, spec, frozenset({"name", "values"}))
        name = _text(errors, (*path, "name"), spec.get("name"), max_length=60, blank=False)
        if name is not None and name in options:
            errors.add((*path, "name"), f"The option {name!r} is given twice.")
            name = None
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            errors.add((*path, "values"), "Expected a non-empty list of values.")
            continue
        cleaned = []
        for j, raw in enumerate(values):
            text = _text(errors, (*path, "values", j), raw, max_length=100, blank=False)
            if text is not None and text in cleaned:
                errors.add((*path, "values", j), f"The value {text!r} is given twice.")
            elif text is not None:
                cleaned.append(text)
        if name is not None:
            options[name] = cleaned
    return options


def clean_variant_list(data, errors: Errors, *, options: dict) -> list[dict]:
    raw = data.get("variants", []) if isinstance(data, dict) else []
    if not isinstance(raw, list):
        errors.add(("variants",), "Expected a list of variants.")
        return []
    variants = []
    for i, item in enumerate(raw):
        clean = clean_variant(item, errors, ("variants", i), options=options, partial=False)
        if clean is not None:
            variants.append((("variants", i), clean))
    seen: dict[str, tuple] = {}
    for path, clean in variants:
        sku = clean["sku"]
        if sku in seen:
            errors.add((*path, "sku"), f"The SKU is also used by {_describe(seen[sku])}.", sku=sku)
        seen.setdefault(sku, path)
    rows = [(path, clean["option_values"]) for path, clean in variants]
    skus = {path: clean["sku"] for path, clean in variants}
    for path, earlier in taken_combinations(rows):
        message = f"{_describe(earlier)} has the same option values."
        errors.add((*path, "option_values"), message, sku=skus[path])
    check_catalog(errors, variants)
    return [clean for _, clean in variants]


def clean_variant(data, errors, path, *, options, partial, sku=None) -> dict | None:
    """One variant's fields; `partial` (PATCH) leaves out what the body leaves out."""
    if not isinstance(data, dict):
        errors.add((*path, "non_field_errors"), "Expected a variant object.")
        return None
    if partial and "sku" in data and data["sku"] != sku:
        errors.add((*path, "sku"), f"The SKU cannot change once saved (it is {sku!r}).", sku=sku)
    elif not partial:
        sku = clean_sku(errors, (*path, "sku"), data.get("sku"))
    _unknown_keys(errors, path, data, VARIANT_KEYS, sku=sku)
    clean: dict = {"sku": sku}
    if "title" in data:
        clean["title"] = _text(errors, (*path, "title"), data["title"], max_length=255, sku=sku)
    if "status" in data:
        if data["status"] in SETTABLE_VARIANT_STATUSES:
            clean["status"] = data["status"]
        else:  # archived is what removing a variant does, not a status to choose
            errors.add((*path, "status"), VARIANT_STATUS_MESSAGE, sku=sku)
    if data.get("weight_grams") is not None:
        weight = data["weight_grams"]
        if _is_int(weight) and 0 <= weight <= MAX_WEIGHT_GRAMS:
            clean["weight_grams"] = weight
        else:
            errors.add((*path, "weight_grams"), "Expected a whole number of grams.", sku=sku)
    elif "weight_grams" in data:
        clean["weight_grams"] = None
    if not partial or "option_values" in data:
        clean["option_values"] = clean_option_values(
            errors, (*path, "option_values"), data.get("option_values"), options, sku=sku
        )
    if not partial or "prices" in data:
        clean["prices"] = _clean_prices(errors, (*path, "prices"), data.get("prices"), sku=sku)
    if not partial or "identifiers" in data:
        clean["identifiers"] = clean_identifiers(
            errors, (*path, "identifiers"), data.get("identifiers", []), sku=sku
        )
    return clean if sku else None


def clean_sku(errors, path, value) -> str | None:
    sku = _text(errors, path, value, max_length=SKU_MAX_LENGTH, blank=False)
    if sku is None:
        return None
    try:
        return normalize_sku(sku)
    except InvalidIdentifier as exc:
        errors.add(path, str(exc))
        return None


def clean_option_values(errors, path, value, options: dict, *, sku) -> dict[str, str]:
    """{option name: value} covering every option of the product, in the options' order."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        errors.add(path, "Expected an object {option name: value}.", sku=sku)
        return {}
    for name, chosen in value.items():
        if name not in options:
            known = ", ".join(options) or "none"
            errors.add(
                (*path, name), f"{name!r} is not an option of this product ({known}).", sku=sku
            )
        elif chosen not in options[name]:
            allowed = ", ".join(options[name])
            errors.add((*path, name), f"{chosen!r} is not a value of {name} ({allowed}).", sku=sku)
    for name in options:
        if name not in value:
            errors.add((*path, name), f"Choose a value for {name}.", sku=sku)
    return {name: value[name] for name in options if name in value}


def _clean_prices(errors, path, value, *, sku) -> list[dict]:
    if not isinstance(value, list) or not value:
        errors.add(path, "Give at least one price: [{amount, currency}].", sku=sku)
        return []
    prices, currencies = [], set()
    for i, item in enumerate(value):
        price = clean_price(errors, (*path, i), item, sku=sku)
        currency = item.get("currency") if isinstance(item, dict) else None
        if isinstance(currency, str) and is_known_currency(currency):
            if currency in currencies:
                errors.add((*path, i, "currency"), f"{currency} is priced twice.", sku=sku)
                continue
            currencies.add(currency)
        if price is not None:
            prices.append(price)
    return prices


def clean_price(errors, path, item, *, sku) -> dict | None:
    """One `{amount, currency, compare_at_amount?}` price, or None after recording why not."""
    if not isinstance(item, dict):
        errors.add((*path, "non_field_errors"), "Expected {amount, currency}.", sku=sku)
        return None
    keys = frozenset({"amount", "currency", "compare_at_amount"})
    _unknown_keys(errors, path, item, keys, sku=sku)
    price, ok = {}, True
    for field in ("amount", "compare_at_amount"):
        amount = item.get(field)
        if amount is None and field == "compare_at_amount":
            continue
        if not _is_int(amount) or not 0 <= amount <= MAX_AMOUNT:
            errors.add(
                (*path, field),
                f"{amount!r} is not a whole, non-negative number of minor units "
                "(send 1999 for 19.99).",
                sku=sku,
            )
            ok = False
        price[field] = amount
    currency = item.get("currency")
    if not isinstance(currency, str) or not is_known_currency(currency):
        errors.add((*path, "currency"), f"{currency!r} is not an ISO 4217 currency code.", sku=sku)
        return None
    return {**price, "currency": currency} if ok else None


def clean_identifiers(errors, path, value, *, sku) -> list[dict]:
    if not isinstance(value, list):
        errors.add(path, "Expected a list of {kind, value}.", sku=sku)
        return []
    identifiers, seen = [], {}
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors.add((*path, i, "non_field_errors"), "Expected {kind, value}.", sku=sku)
            continue
        _unknown_keys(errors, (*path, i), item, frozenset({"kind", "value"}), sku=sku)
        kind, raw = item.get("kind"), item.get("value")
        if not isinstance(kind, str) or not isinstance(raw, str):
            errors.add(
                (*path, i, "value" if isinstance(kind, str) else "kind"),
                "Expected a string.",
                sku=sku,
            )
            continue
        try:
            normalised = normalize_identifier(kind, raw)
        except InvalidIdentifier as exc:
            field = "kind" if str(exc).startswith("Unknown identifier kind") else "value"
            errors.add((*path, i, field), str(exc), sku=sku)
            continue
        key = (kind.strip().lower(), normalised)
        if key in seen:
            errors.add((*path, i, "value"), f"Also given at identifiers[{seen[key]}].", sku=sku)
            continue
        seen[key] = i
        identifiers.append({"kind": key[0], "value": key[1], "index": i})
    return identifiers


def check_catalog(
    errors, variants: list[tuple[tuple, dict]], *, exclude=None, updating: Product | None = None
) -> None:
    """SKUs and identifiers must be new to the catalog and to the body (one query each).

    The one home of identifier ownership: every interface (API, admin, import, seeding) asks
    here whether a SKU or barcode is free. `exclude` is the variant being changed (its SKU is
    its own, its identifiers may be given again); `updating` is a product whose live variants
    may be named again by SKU (an import updating rows). A SKU of a removed (archived) variant
    is never free.
    """
    skus = [clean["sku"] for _, clean in variants]
    owners = {} if exclude is not None else find_sku_owners(skus)
    for path, clean in variants:
        owner = owners.get(clean["sku"])
        if owner is not None and not _may_update(owner, updating):
            errors.add((*path, "sku"), sku_taken_message(owner), sku=clean["sku"])
    _check_identifiers(errors, variants, exclude=exclude)


def find_sku_owners(skus: Iterable[str]) -> dict[str, Variant]:
    """{sku: the variant that has it, live or removed} for the given SKUs (one query)."""
    variants = Variant.objects.filter(sku__in=list(skus)).select_related("product")
    return {v.sku: v for v in variants}


def sku_taken_message(owner: Variant) -> str:
    """Why a new variant cannot take `owner`'s SKU (SKUs are identity, never reused)."""
    if owner.is_archived:
        return (
            f"SKU {owner.sku} belonged to a removed variant of {owner.product.title}; "
            "SKUs are never reused."
        )
    return "This SKU already exists; SKUs are never reused."


def _may_update(owner: Variant, updating: Product | None) -> bool:
    return updating is not None and owner.product_id == updating.pk and not owner.is_archived


def _check_identifiers(errors, variants: list[tuple[tuple, dict]], *, exclude) -> None:
    owners: dict[tuple[str, str], tuple] = {}
    for path, clean in variants:
        for ident in clean.get("identifiers", []):
            key = (ident["kind"], ident["value"])
            where = (*path, "identifiers", ident["index"], "value")
            if key in owners and owners[key][:-3] != path:
                errors.add(where, f"Also given at {_describe(owners[key])}.", sku=clean["sku"])
            owners.setdefault(key, where)
    values = {value for _, value in owners}
    existing = VariantIdentifier.objects.filter(value__in=values).select_related("variant")
    if exclude is not None:
        existing = existing.exclude(variant=exclude)
    for row in existing:
        where = owners.get((row.kind, row.value))
        if where is not None:
            sku = next(c["sku"] for p, c in variants if p == where[:-3])
            message = f"{row.kind.upper()} {row.value} already belongs to SKU {row.variant.sku}."
            errors.add(where, message, sku=sku)


def check_live(errors, path, variant: Variant) -> None:
    """A removed (archived) variant is kept only so its SKU is never reused: it never changes."""
    if variant.is_archived:
        message = f"Variant {variant.sku!r} was removed; a removed variant cannot change."
        errors.add((*path, "non_field_errors"), message, sku=variant.sku)


# --- option combinations ---------------------------------------------------------------------


def taken_combinations(
    rows: Iterable[tuple[K, Mapping[str, str]]],
    *,
    taken: Mapping[Combination, object] | None = None,
    holder: Callable[[K], object] = lambda key: key,
) -> Iterator[tuple[K, object]]:
    """The one rule for option combinations: no two live variants of a product share one.

    `rows` are (key, {option name: value}) of the variants being written; `taken` maps the
    combinations already held (live_combinations(), or the caller's own view of the product's
    other variants) to their holder. Yields (key, holder) for each row whose combination is
    taken; a row that passes holds its combination as `holder(key)` for the rows after it.
    """
    held = dict(taken or {})
    for key, values in rows:
        combination = frozenset(values.items())
        if combination in held:
            yield key, held[combination]
        else:
            held[combination] = holder(key)


def live_combinations(product: Product, *, exclude: Variant | None = None) -> dict:
    """{combination: SKU} of the product's live variants (a removed variant holds none)."""
    values = Prefetch("option_values", queryset=OptionValue.objects.select_related("option"))
    variants = Variant.objects.live().filter(product=product).prefetch_related(values)
    if exclude is not None:
        variants = variants.exclude(pk=exclude.pk)
    return {
        frozenset((ov.option.name, ov.value) for ov in v.option_values.all()): v.sku
        for v in variants
    }


def check_combination(errors, path, clean, *, product, lookup, exclude) -> None:
    """One variant's option values (a single-variant API write) against the product's others."""
    if set(clean["option_values"].items()) - set(lookup):
        return  # already reported as an unknown option or value
    rows = [(path, clean["option_values"])]
    for _, sku in taken_combinations(rows, taken=live_combinations(product, exclude=exclude)):
        message = f"Variant {sku!r} already has these option values."
        errors.add((*path, "option_values"), message, sku=clean["sku"])
