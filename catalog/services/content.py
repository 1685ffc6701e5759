"""A product's content beyond its variants: specifications, translated copy and images.

Each service takes many items at once (one product's edit is a list of one), so a seed or an
import costs a fixed number of statements rather than a few per row. It locks the products
(pk order, the order every product writer uses), validates every item as the models declare
(`full_clean`) and refuses the whole call with ValidationFailed naming each problem under the
item's index; nothing is written then. With an actor, each product changed gets one row in its
admin history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Max

from catalog.models import (
    Attribute,
    Media,
    Product,
    ProductAttributeValue,
    ProductTranslation,
    Variant,
)
from catalog.services.search_index import refresh_search_documents
from catalog.services.storefront_versions import bump_product_versions
from catalog.services.writing import audit
from shop.exceptions import ValidationFailed

VALUE_FIELDS = ["value_text", "value_number", "value_boolean", "value_translations"]
TRANSLATION_FIELDS = ["title", "description", "seo_title", "seo_description"]


@dataclass(frozen=True)
class SpecInput:
    """The product's value for each attribute code in `values` (others keep theirs): text, a
    whole number or True/False as the attribute's kind says; `translations` gives a text
    value's wording per locale ({code: {locale: text}})."""

    product: Product
    values: Mapping[str, object]
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TranslationInput:
    """The product's copy in `locale`; blank fields fall back to the product's own copy."""

    product: Product
    locale: str
    title: str
    description: str = ""
    seo_title: str = ""
    seo_description: str = ""


@dataclass(frozen=True)
class MediaInput:
    """An image: an upload (`File`), a file already in media storage (its name), or a URL.

    With `variant_sku` it is shown when that variant of the product is chosen; `position`
    defaults to after the product's last image.
    """

    product: Product
    image: File | str | None = None
    external_url: str = ""
    alt_text: str = ""
    alt_translations: Mapping[str, str] = field(default_factory=dict)
    position: int | None = None
    variant_sku: str | None = None


class _Problems:
    def __init__(self):
        self.fields: dict[str, dict[str, list[str]]] = {}

    def add(self, index: int, name: str, message: str) -> None:
        self.fields.setdefault(str(index), {}).setdefault(name, []).append(message)

    def from_validation(self, index: int, exc: ValidationError) -> None:
        for name, messages in exc.message_dict.items():
            for message in messages:
                self.add(index, "non_field_errors" if name == "__all__" else name, message)

    def raise_if_any(self) -> None:
        if self.fields:
            index, problems = next(iter(self.fields.items()))
            name, messages = next(iter(problems.items()))
            raise ValidationFailed(f"Item {index}, {name}: {messages[0]}", fields=self.fields)


@transaction.atomic
def set_product_specs(*, items: Sequence[SpecInput], actor=None) -> int:
    """Set specification values; return how many values were created or changed."""
    _lock([item.product for item in items])
    codes = {code for item in items for code in item.values}
    attributes = {a.code: a for a in Attribute.objects.filter(code__in=codes)}
    current = {
        (row.product_id, row.attribute_id): row
        for row in ProductAttributeValue.objects.filter(
            product__in=[item.product for item in items], attribute__code__in=codes
        )
    }
    problems = _Problems()
    new, changed, touched = [], [], {}
    for index, item in enumerate(items):
        for code, value in item.values.items():
            attribute = attributes.get(code)
            if attribute is None:
                problems.add(index, code, f"No attribute has the code '{code}'; create it first.")
                continue
            row = current.get((item.product.pk, attribute.pk))
            row = row or ProductAttributeValue(product=item.product, attribute=attribute)
            before = [getattr(row, name) for name in VALUE_FIELDS]
            problem = _assign_value(row, attribute, value)
            if problem:
                problems.add(index, code, problem)
                continue
            row.value_translations = dict(item.translations.get(code, row.value_translations))
            try:
                # The product and attribute were just read; one row per pair is the lookup's.
                row.full_clean(
                    exclude=["product", "attribute"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as exc:
                problems.from_validation(index, exc)
                continue
            if row.pk is None:
                new.append(row)
            elif before != [getattr(row, name) for name in VALUE_FIELDS]:
                changed.append(row)
            else:
                continue
            touched.setdefault(item.product.pk, (item.product, []))[1].append(code)
    problems.raise_if_any()
    ProductAttributeValue.objects.bulk_create(new)
    if changed:
        ProductAttributeValue.objects.bulk_update(changed, VALUE_FIELDS)
    bump_product_versions(product_ids=touched)  # specifications and listing facets
    for product, changed_codes in touched.values():
        audit(actor, product, CHANGE, f"Changed specifications: {', '.join(changed_codes)}.")
    return len(new) + len(changed)


def _assign_value(row: ProductAttributeValue, attribute: Attribute, value) -> str:
    """Put `value` in the column of the attribute's kind; return a problem or ""."""
    row.value_text, row.value_number, row.value_boolean = "", None, None
    if attribute.kind == Attribute.Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{attribute.name} takes a whole number."
        row.value_number = value
    elif attribute.kind == Attribute.Kind.BOOLEAN:
        if not isinstance(value, bool):
            return f"{attribute.name} takes yes or no."
        row.value_boolean = value
    else:
        if not isinstance(value, str) or not value.strip():
            return f"{attribute.name} takes text."
        row.value_text = value.strip()
    return ""


@transaction.atomic
def set_product_translations(*, items: Sequence[TranslationInput], actor=None) -> int:
    """Create or replace products' copy per locale; return how many were written."""
    _lock([item.product for item in items])
    current = {
        (t.product_id, t.locale): t
        for t in ProductTranslation.objects.filter(
            product__in=[item.product for item in items],
            locale__in={item.locale for item in items},
        )
    }
    problems = _Problems()
    new, changed, seen = [], [], set()
    for index, item in enumerate(items):
        key = (item.product.pk, item.locale)
        if key in seen:
            problems.add(index, "locale", f"The {item.locale} copy is given twice.")
            continue
        seen.add(key)
        row = current.get(key) or ProductTranslation(product=item.product, locale=item.locale)
        values = {name: getattr(item, name) for name in TRANSLATION_FIELDS}
        if row.pk is not None and all(getattr(row, k) == v for k, v in values.items()):
            continue
        for name, value in values.items():
            setattr(row, name, value)
        try:
            # One row per (product, locale): the lookup above and the duplicate check.
            row.full_clean(exclude=["product"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            problems.from_validation(index, exc)
            continue
        (new if row.pk is None else changed).append(row)
    problems.raise_if_any()
    ProductTranslation.objects.bulk_create(new)
    if changed:
        ProductTranslation.objects.bulk_update(changed, TRANSLATION_FIELDS)
    refresh_search_documents(product_ids={row.product_id for row in new + changed})
    bump_product_versions(product_ids={row.product_id for row in new + changed})
    for row in new + changed:
        audit(actor, row.product, CHANGE, f"Changed the {row.locale} translation.")
    return len(new) + len(changed)


@transaction.atomic
def add_product_media(*, items: Sequence[MediaInput], actor=None) -> list[Media]:
    """Add images to products; return the new Media rows in the order given."""
    products = [item.product for item in items]
    _lock(products)
    skus = {item.variant_sku for item in items if item.variant_sku}
    variants = {
        (v.product_id, v.sku): v
        for v in Variant.objects.filter(product__in=products, sku__in=skus).select_related(
            "product"
        )
    }
    last = dict(
        Media.objects.filter(product__in=products)
        .values_list("product_id")
        .annotate(last=Max("position"))
        .order_by()
    )
    problems = _Problems()
    rows = []
    for index, item in enumerate(items):
        variant = None
        if item.variant_sku:
            variant = variants.get((item.product.pk, item.variant_sku))
            if variant is None:
                problems.add(index, "variant", f"The product has no variant {item.variant_sku}.")
                continue
        position = item.position
        if position is None:
            position = last.get(item.product.pk, -1) + 1
        last[item.product.pk] = max(position, last.get(item.product.pk, -1))
        media = Media(
            product=item.product,
            variant=variant,
            image=item.image or "",
            external_url=item.external_url,
            alt_text=item.alt_text,
            alt_translations=dict(item.alt_translations),
            position=position,
        )
        try:
            # Product and variant were just read; Media.clean() is the image-or-URL constraint.
            media.full_clean(exclude=["product", "variant"], validate_constraints=False)
        except ValidationError as exc:
            problems.from_validation(index, exc)
            continue
        rows.append(media)
    problems.raise_if_any()
    # An upload is written to storage by FileField.pre_save, which bulk_create calls too.
    Media.objects.bulk_create(rows)
    bump_product_versions(product_ids={media.product_id for media in rows})
    added: dict[int, tuple[Product, int]] = {}
    for media in rows:
        product, count = added.get(media.product_id, (media.product, 0))
        added[media.product_id] = (product, count + 1)
    for product, count in added.values():
        audit(actor, product, CHANGE, f"Added {count} image(s).")
    return rows


def _lock(products: Sequence[Product]) -> None:
    pks = sorted({p.pk for p in products})
    list(Product.objects.select_for_update().filter(pk__in=pks).order_by("pk").values("pk"))
