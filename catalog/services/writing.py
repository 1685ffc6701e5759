"""Row writers shared by the catalog services: one code path writes a variant, its option
values, prices and identifiers, whether the API or the admin asked.

They take already-validated input (catalog.services.validation) and run inside the calling
service's transaction and locks; callers outside catalog.services use the services instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError

from catalog.models import (
    Brand,
    OptionValue,
    Product,
    Variant,
    VariantIdentifier,
    VariantPrice,
    VariantStatus,
    option_key_for,
)
from catalog.services.storefront_versions import bump_price_versions
from shop.exceptions import Conflict

logger = logging.getLogger(__name__)

VARIANT_FIELDS = ("title", "weight_grams", "status", "position")


@dataclass(frozen=True)
class Unique:
    """A uniqueness rule a concurrent writer can win: `model`'s unique index on `fields`.

    `label` names the value in messages; `field` is where the write body carries it; `shown`
    turns the database's key values into the value a user typed ("" to name none).
    """

    label: str
    model: type[models.Model]
    fields: tuple[str, ...]
    field: str
    shown: Callable[[list[str]], str] = ", ".join

    def columns(self) -> tuple[str, tuple[str, ...]]:
        meta = self.model._meta
        return meta.db_table, tuple(meta.get_field(f).column for f in self.fields)


SKU = Unique("SKU", Variant, ("sku",), "sku")
HANDLE = Unique("handle", Product, ("handle",), "handle")
IDENTIFIER = Unique(
    "identifier", VariantIdentifier, ("kind", "value"), "identifiers", lambda kv: " ".join(kv)
)  # "ean 4006381333931"
# The key is (product id, option value ids): nothing a merchandiser typed, so name no value.
COMBINATION = Unique(
    "option values", Variant, ("product", "option_key"), "option_values", lambda key: ""
)
BRAND_NAME = Unique("brand", Brand, ("name",), "brand")
BRAND_SLUG = Unique("brand", Brand, ("slug",), "brand")
CATALOG_UNIQUES = (SKU, HANDLE, IDENTIFIER, COMBINATION, BRAND_NAME, BRAND_SLUG)

Locate = Callable[[Unique, str], tuple]  # (rule, value) -> path of the value in the input


class unique_or_conflict:
    """Report what the database refused in the block as a clear DomainError.

    Only a unique violation of one of `rules` is a race (the checks passed, then a concurrent
    writer took the value first): a 409 Conflict naming the value, under the input path
    `locate(rule, value)` gives (default: the rule's field). A protected row (stock referencing
    a variant) or the variant delete guard is a refusal saying why, never "a concurrent change".
    Any other IntegrityError is a bug and propagates unchanged. The block runs in a savepoint
    so the surrounding transaction can still roll back cleanly.
    """

    def __init__(self, *rules: Unique, locate: Locate | None = None):
        self.rules = rules or CATALOG_UNIQUES
        self.locate = locate or (lambda rule, value: (rule.field,))

    def __enter__(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def __exit__(self, exc_type, exc, tb):
        self._atomic.__exit__(exc_type, exc, tb)
        if exc_type is None or not issubclass(exc_type, IntegrityError):
            return False
        if isinstance(exc, ProtectedError | RestrictedError):
            raise Conflict(describe_protected(exc), code="protected") from exc
        violation = _violation(exc)
        if violation is None:
            return False  # not a rule we can explain: a bug, surface it unchanged
        kind, table, columns, value = violation
        if kind == "restrict":
            raise Conflict(
                "Variants are archived, never deleted: a SKU is never reused.",
                code="variant_never_deleted",
            ) from exc
        rule = next((r for r in self.rules if r.columns() == (table, columns)), None)
        if kind != "unique" or rule is None:
            return False
        logger.info("catalog write lost a race on %s %s: %s", rule.label, value, exc)
        value = rule.shown(value.split(", ")) if value else ""
        shown = f" {value}" if value else ""
        message = f"A concurrent change took the {rule.label}{shown}; reload and try again."
        path = self.locate(rule, value) or (rule.field,)
        raise Conflict(message, code="catalog_conflict", fields=_tree(path, message)) from exc


def describe_protected(exc: ProtectedError | RestrictedError) -> str:
    """ "Variant X has stock at 2 locations", from the rows that protect what was deleted.

    Reads the protecting rows themselves (the catalog never imports inventory): rows with a
    `location` are stock, counted by distinct location.
    """
    protected = list(getattr(exc, "protected_objects", None) or exc.restricted_objects)
    owners = {}
    for row in protected:
        for field in row._meta.concrete_fields:
            if field.is_relation and field.related_model in (Variant, Product):
                owners.setdefault(getattr(row, field.name), []).append(row)
    parts = []
    for owner, rows in owners.items():
        if isinstance(owner, Product) or not hasattr(rows[0], "location_id"):
            noun = (
                rows[0]._meta.verbose_name_plural if len(rows) > 1 else rows[0]._meta.verbose_name
            )
            parts.append(f"{type(owner).__name__} {owner} has {len(rows)} {noun}")
        else:
            locations = len({r.location_id for r in rows})
            plural = "location" if locations == 1 else "locations"
            parts.append(f"Variant {owner} has stock at {locations} {plural}")
    reason = "; ".join(parts) or str(exc)
    return f"{reason}: it cannot be deleted (archive it instead)."


_PG_KEY = re.compile(r"Key \((?P<columns>.+?)\)=\((?P<value>.*)\) already exists")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)")


def _violation(exc: IntegrityError) -> tuple[str, str, tuple[str, ...], str] | None:
    """(kind, table, columns, value) of the violated rule, from PostgreSQL's diagnostics or
    SQLite's message; kind is "unique", "restrict" (the delete guard) or "other"."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:  # PostgreSQL (psycopg)
        if sqlstate == "23001":
            return "restrict", "", (), ""
        diag = cause.diag
        match = _PG_KEY.search(diag.message_detail or "")
        if sqlstate != "23505" or match is None:
            return "other", diag.table_name or "", (), ""
        columns = tuple(c.strip().strip('"') for c in match["columns"].split(","))
        return "unique", diag.table_name or "", columns, match["value"]
    text = str(exc)
    if "never deleted" in text:  # SQLite's delete guard (migration 0002)
        return "restrict", "", (), ""
    match = _SQLITE_UNIQUE.search(text)
    if match is None:
        return None
    pairs = [c.strip().split(".", 1) for c in match["columns"].split(",")]
    return "unique", pairs[0][0], tuple(column for _, column in pairs), ""


def _tree(path: tuple, message: str) -> dict:
    tree: dict | list = [message]
    for key in reversed(path):
        tree = {str(key): tree}
    return tree


def option_lookup(product: Product) -> dict[tuple[str, str], OptionValue]:
    """{(option name, value): OptionValue} of the product, options and values in order."""
    values = OptionValue.objects.filter(option__product=product).select_related("option")
    return {(ov.option.name, ov.value): ov for ov in values}


def options_of(lookup: dict[tuple[str, str], OptionValue]) -> dict[str, list[str]]:
    """{option name: [values]} from an option_lookup, in order."""
    options: dict[str, list[str]] = {}
    for name, value in lookup:
        options.setdefault(name, []).append(value)
    return options


def write_variant(
    product: Product, clean: dict, lookup: dict, *, variant: Variant | None = None
) -> tuple[Variant, list[str]]:
    """Create (`variant` None) or change a variant from a cleaned body; return it and what changed.

    On create `clean` holds sku, option_values, prices and identifiers, and optionally title,
    weight_grams, status and position. On change only the keys present are written: the
    VARIANT_FIELDS, option_values (the option_key follows), and prices or identifiers, which
    replace the variant's whole set.
    """
    values = None
    if "option_values" in clean:
        values = [lookup[item] for item in clean["option_values"].items()]
    if variant is None:
        variant = Variant.objects.create(
            product=product,
            sku=clean["sku"],
            title=clean.get("title") or " / ".join(ov.value for ov in values),
            option_key=option_key_for(ov.pk for ov in values),
            weight_grams=clean.get("weight_grams"),
            status=clean.get("status", VariantStatus.ACTIVE),
            position=clean.get("position", 0),
        )
        if values:
            variant.option_values.set(values)
        create_prices(variant, clean["prices"])
        create_identifiers(variant, clean["identifiers"])
        return variant, []
    changed = [field for field in VARIANT_FIELDS if field in clean]
    for field in changed:
        setattr(variant, field, clean[field])
    if values is not None:
        variant.option_key = option_key_for(ov.pk for ov in values)
        variant.option_values.set(values)
        changed.append("option_key")
    if changed:
        variant.save(update_fields=[*changed, "updated_at"])
    for field, create in (("prices", create_prices), ("identifiers", create_identifiers)):
        if field in clean:
            getattr(variant, field).all().delete()
            create(variant, clean[field])
            changed.append(field)
    return variant, changed


def create_prices(variant: Variant, prices: list[dict]) -> None:
    bump_price_versions()  # cached promotion results (promotions.selectors)
    VariantPrice.objects.bulk_create(
        VariantPrice(
            variant=variant,
            currency=p["currency"],
            amount_cents=p["amount"],
            compare_at_cents=p.get("compare_at_amount"),
        )
        for p in prices
    )


def create_identifiers(variant: Variant, identifiers: list[dict]) -> None:
    VariantIdentifier.objects.bulk_create(
        VariantIdentifier(variant=variant, kind=i["kind"], value=i["value"]) for i in identifiers
    )


def audit(actor, product: Product, flag: int, message: str) -> None:
    """One admin history row saying who changed the product (shown on its admin page)."""
    if actor is None or not getattr(actor, "pk", None):
        return
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[product],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )
