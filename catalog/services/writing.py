"""Row writers shared by the catalog services: one code path writes a variant, its option
values, prices and identifiers, whether the API or the admin asked.

They take already-validated input (catalog.services.validation) and run inside the calling
service's transaction and locks; callers outside catalog.services use the services instead.
"""

from __future__ import annotations

import logging

from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, transaction

from catalog.models import (
    OptionValue,
    Product,
    Variant,
    VariantIdentifier,
    VariantPrice,
    VariantStatus,
    option_key_for,
)
from shop.exceptions import Conflict

logger = logging.getLogger(__name__)

VARIANT_FIELDS = ("title", "weight_grams", "status", "position")


class unique_or_conflict:
    """Turn a unique-constraint race (a concurrent writer took the SKU first) into a 409.

    The block runs in a savepoint so the surrounding transaction can still roll back cleanly.
    """

    def __enter__(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def __exit__(self, exc_type, exc, tb):
        self._atomic.__exit__(exc_type, exc, tb)
        if exc_type is not None and issubclass(exc_type, IntegrityError):
            logger.info("catalog write lost a race: %s", exc)
            raise Conflict(
                "A concurrent change took one of these values (handle, SKU or identifier); "
                "reload and try again.",
                code="catalog_conflict",
            ) from exc
        return False


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
