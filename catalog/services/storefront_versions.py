"""Which storefront cache versions a catalog write bumps (shop.cache_versions).

Every catalog write service that changes what a customer sees calls one of these after its
writes, inside its transaction; the bump itself happens on commit (a rollback bumps nothing).

- a product's copy, translations, specs, images, variants, prices or status:
  `product:<id>`, `category:<id>` of each category it is in or was in (and their ancestors,
  whose listings include it), and `home`;
- any price written (every VariantPrice write calls `bump_price_versions`): `prices`, which
  the promotions result cache keys on (a price change invalidates every cached result);
- the category tree (a new, renamed or moved category): `nav`, plus the listings of the old and
  new ancestors when a category moves.

Stock is never cached (the storefront reads availability fresh), so inventory writes bump
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from catalog.models import Category, Product
from shop import cache_versions
from shop.cache_versions import HOME, NAV, PRICES


def bump_product_versions(*, product_ids: Iterable[int], category_ids: Iterable[int] = ()) -> None:
    """After commit, bump the products', their listings' and the home page's versions.

    `category_ids` are categories the products were in before this write (the listings they
    leave); the ones they are in afterwards are read after commit.
    """
    product_ids, before = sorted(set(product_ids)), set(category_ids)
    if product_ids:
        transaction.on_commit(lambda: _bump_products(product_ids, before))


def bump_price_versions() -> None:
    """After commit, bump the `prices` version (call from every write of a VariantPrice)."""
    cache_versions.bump_versions([PRICES])


def bump_category_versions(*, category_ids: Iterable[int] = (), moved: bool = False) -> None:
    """After commit, bump the category tree's version; when a category moved, also the listings
    of `category_ids` (its old and new ancestors, given by the caller) and their ancestors."""
    category_ids = set(category_ids) if moved else set()
    transaction.on_commit(
        lambda: cache_versions.bump_versions([NAV, *_category_scopes(category_ids)])
    )


def _bump_products(product_ids: list[int], before: set[int]) -> None:
    in_now = Product.categories.through.objects.filter(product_id__in=product_ids)
    category_ids = before | set(in_now.values_list("category_id", flat=True))
    cache_versions.bump_versions(
        [
            HOME,
            *(cache_versions.product_scope(pk) for pk in product_ids),
            *_category_scopes(category_ids),
        ]
    )


def _category_scopes(category_ids: set[int]) -> list[str]:
    """Scopes of the categories and all their ancestors (their listings include descendants)."""
    if not category_ids:
        return []
    paths = Category.objects.filter(pk__in=category_ids).values_list("path", flat=True)
    ancestors = set()
    for path in paths:
        parts = path.split("/")
        ancestors.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    ids = set(category_ids) | set(
        Category.objects.filter(path__in=ancestors).values_list("pk", flat=True)
    )
    return [cache_versions.category_scope(pk) for pk in sorted(ids)]
