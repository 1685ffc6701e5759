"""Catalog taxonomy writes: the category tree and the attributes (typed specification keys).

Each runs in its own transaction, validates as the model declares (`full_clean`, which also
checks the unique slug within a parent and the unique attribute code) and reports a refusal as
ValidationFailed naming the field; a concurrent duplicate is a Conflict. Nothing is written then.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from catalog.models import Attribute, Category, Product
from catalog.services.search_index import lock_products, refresh_search_documents
from catalog.services.storefront_versions import (
    bump_category_versions,
    bump_product_versions,
)
from shop.exceptions import Conflict, ValidationFailed


@transaction.atomic
def create_category(
    *,
    name: str,
    slug: str,
    parent: Category | None = None,
    position: int = 0,
    description: str = "",
) -> Category:
    """Add a category under `parent` (a root when None); its path follows from the tree."""
    category = Category(
        name=name, slug=slug, parent=parent, position=position, description=description
    )
    _check(category)  # includes the unique slug among its siblings, so the path is free
    _insert(category, f"category {category.build_path()}")
    bump_category_versions()
    return category


@transaction.atomic
def update_category(
    *,
    category: Category,
    name: str,
    slug: str,
    parent: Category | None,
    position: int,
    description: str,
    actor=None,
) -> Category:
    """Rename, re-slug, move or reorder a category (its descendants' paths follow).

    Locks the category row. A move refuses a parent inside its own subtree (the model's
    clean). After commit the storefront's category tree changes version, and on a move the
    listings of its old and new ancestors too (their products changed). Raises
    ValidationFailed (nothing written), Conflict when a concurrent writer took the slug.
    """
    saved = Category.objects.select_for_update().get(pk=category.pk)
    old_parent_id, old_name = saved.parent_id, saved.name
    for field, value in (
        ("name", name),
        ("slug", slug),
        ("parent", parent),
        ("position", position),
        ("description", description),
    ):
        setattr(saved, field, value)
    _check(saved)
    try:
        with transaction.atomic():
            saved.save()
    except IntegrityError as exc:
        raise Conflict(
            f"A concurrent change took the category path {saved.build_path()}; reload."
        ) from exc
    moved = old_parent_id != saved.parent_id
    if moved or saved.name != old_name:
        # The products' search documents hold their categories' and ancestors' names.
        refresh_search_documents(product_ids=lock_products(_products_under(saved)))
    bump_category_versions(
        category_ids=[pk for pk in (old_parent_id, saved.parent_id) if pk], moved=moved
    )
    return saved


@transaction.atomic
def create_attribute(
    *,
    code: str,
    name: str,
    kind: str = Attribute.Kind.TEXT,
    unit: str = "",
    is_filterable: bool = False,
    position: int = 0,
    name_translations: dict[str, str] | None = None,
) -> Attribute:
    """Add a specification key that products can carry a value for."""
    attribute = Attribute(
        code=code,
        name=name,
        kind=kind,
        unit=unit,
        is_filterable=is_filterable,
        position=position,
        name_translations=dict(name_translations or {}),
    )
    _check(attribute)
    _insert(attribute, f"attribute {code}")
    return attribute


def _products_under(category: Category) -> list[int]:
    in_subtree = Product.categories.through.objects.filter(
        Q(category__path=category.path) | Q(category__path__startswith=f"{category.path}/")
    )
    return list(in_subtree.values_list("product_id", flat=True).distinct())


@transaction.atomic
def update_attribute(
    *,
    attribute: Attribute,
    code: str,
    name: str,
    kind: str,
    unit: str,
    is_filterable: bool,
    position: int,
    name_translations: dict[str, str] | None = None,
    actor=None,
) -> Attribute:
    """Change a specification key (its names, unit, kind, whether listings filter on it).

    Locks the attribute row. After commit the storefront documents of every product carrying
    a value for it change version (their specifications and their listings' facets show its
    name). Raises ValidationFailed (nothing written), Conflict when a concurrent writer took
    the code.
    """
    saved = Attribute.objects.select_for_update().get(pk=attribute.pk)
    for field, value in (
        ("code", code),
        ("name", name),
        ("kind", kind),
        ("unit", unit),
        ("is_filterable", is_filterable),
        ("position", position),
        ("name_translations", dict(name_translations or {})),
    ):
        setattr(saved, field, value)
    _check(saved)
    try:
        with transaction.atomic():
            saved.save()
    except IntegrityError as exc:
        raise Conflict(f"A concurrent change took the attribute code {code}; reload.") from exc
    bump_product_versions(product_ids=saved.values.values_list("product_id", flat=True).distinct())
    return saved


def _check(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict
        first = next(iter(fields.values()))[0]
        raise ValidationFailed(first, fields=fields) from exc


def _insert(instance, label: str) -> None:
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError as exc:  # the checks passed, then a concurrent writer took it
        raise Conflict(f"A concurrent change created the {label}; reload and try again.") from exc
