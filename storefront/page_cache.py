"""The storefront's versioned cache: reads that survive a dead Redis, and the category tree.

Every page reads its documents through `fetch` and writes them through `store` (shop.documents:
this process's copies first, then Redis); a cache failure is logged (shop.cache_versions opens
its circuit breaker) and the page is built from the database instead, never a 500. Keys come
from `shop.cache_versions.versioned_key`, so entries of an older version are never read again
and need no deleting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from catalog.models import Category
from shop import documents
from shop.cache_versions import (
    NAV,
    note_stock_hint,
    read_versions,
    read_versions_with_hinted_stock,
    versioned_key,
)
from shop.documents import fetch, store  # noqa: F401 - the pages' names for them
from storefront.html_cache import full_path


@dataclass(frozen=True)
class NavCategory:
    """A category as the navigation, breadcrumbs and listings need it (no database row)."""

    pk: int
    name: str
    slug: str
    path: str
    parent_id: int | None
    position: int
    description: str

    @property
    def url(self) -> str:
        return f"/c/{self.path}/"


@dataclass
class CategoryTree:
    """The whole category tree, built once per nav version and shared by every page."""

    categories: list[NavCategory]
    by_path: dict[str, NavCategory] = field(default_factory=dict)
    by_slug: dict[str, NavCategory] = field(default_factory=dict)

    def __post_init__(self):
        self.by_path = {c.path: c for c in self.categories}
        for category in sorted(self.categories, key=lambda c: c.path):
            self.by_slug.setdefault(category.slug, category)

    def roots(self) -> list[NavCategory]:
        return sorted(
            (c for c in self.categories if c.parent_id is None), key=lambda c: (c.position, c.name)
        )

    def find(self, path: str) -> NavCategory | None:
        """By slug path ("apparel/hoodies"), else by a bare slug (the storefront's old links)."""
        path = path.strip("/")
        return self.by_path.get(path) or self.by_slug.get(path.rsplit("/", 1)[-1])

    def ancestors(self, category: NavCategory) -> list[NavCategory]:
        """Root first, the category itself last."""
        parts = category.path.split("/")
        paths = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return [self.by_path[p] for p in paths if p in self.by_path]

    def children(self, category: NavCategory) -> list[NavCategory]:
        return sorted(
            (c for c in self.categories if c.parent_id == category.pk),
            key=lambda c: (c.position, c.name),
        )

    def descendant_ids(self, category: NavCategory) -> list[int]:
        prefix = f"{category.path}/"
        return [category.pk] + [c.pk for c in self.categories if c.path.startswith(prefix)]


# The tree this process read last: (its nav version, the tree, monotonic time it is kept until).
_latest: tuple[int, CategoryTree, float] | None = None


def forget_local() -> None:
    """Empty this process's copies of documents and its category tree (tests)."""
    global _latest
    documents.forget_local()
    _latest = None


def latest_category_tree() -> CategoryTree | None:
    """The tree this process read last: good for a guess (which category a path names) that
    the caller checks against the current version, saving a cache round trip."""
    return _latest[1] if _latest else None


MAX_HINTED_PATH = 300  # characters: the path is the visitor's to make up


def read_page_versions(request, scopes: list[str]) -> dict | None:
    """read_versions(scopes) for the page `request` asks for, with the stock versions of the
    variants it showed last time in the same round trip (shop.cache_versions
    .read_versions_with_hinted_stock): used by its availability read if it shows the same ones.
    """
    key = _hint_key(request)
    if key is None:
        return read_versions(scopes)
    return read_versions_with_hinted_stock(scopes, key)


def note_stock_read(request, variant_ids: list[int]) -> None:
    """The page `request` asks for reads the stock of `variant_ids` (see read_page_versions)."""
    key = _hint_key(request)
    if key is not None:
        note_stock_hint(key, variant_ids)


def _hint_key(request) -> tuple[str, str, str] | None:
    """("page", market code, full path); None without a request or for a long address."""
    if request is None or len(path := full_path(request)) > MAX_HINTED_PATH:
        return None
    market = getattr(request, "market", None)
    return ("page", getattr(market, "code", ""), path)


def get_category_tree(request=None, versions: dict | None = None) -> CategoryTree:
    """The category tree from the cache (per nav version), else one query.

    Kept on `request` so the header, breadcrumbs and listing share one read; `versions` may
    carry the nav version a view already read with its own (one cache round trip per page).
    """
    tree = getattr(request, "_category_tree", None)
    if tree is not None:
        return tree
    if versions is None or NAV not in versions:
        versions = read_versions([NAV])
    global _latest
    latest = _latest
    if versions and latest and latest[0] == versions[NAV] and time.monotonic() < latest[2]:
        tree = latest[1]  # every page asks for it: no key to make, no document to look up
    else:
        tree = _category_tree({NAV: versions[NAV]} if versions else None)
        if versions:
            # As long as the document's own copy: a version bump lost in an outage heals.
            kept_until = time.monotonic() + settings.STOREFRONT_CACHE_SECONDS
            _latest = (versions[NAV], tree, kept_until)
    if request is not None:
        request._category_tree = tree
        # The rendered-page cache keys on it (storefront.html_cache); None: not cacheable.
        request._category_tree_version = versions[NAV] if versions else None
    return tree


def _category_tree(versions: dict | None) -> CategoryTree:
    key = versioned_key("nav", [], versions) if versions else None
    if key:
        found = fetch([key]).get(key)
        if found is not None:
            return found
    tree = CategoryTree(
        [
            NavCategory(
                pk=c.pk,
                name=c.name,
                slug=c.slug,
                path=c.path,
                parent_id=c.parent_id,
                position=c.position,
                description=c.description,
            )
            for c in Category.objects.order_by("path")
        ]
    )
    if key:
        store({key: tree})
    return tree
