"""The storefront search's index: one ProductSearchDocument per listed product and language.

`refresh_search_documents` rebuilds the documents of the products it is given from their rows,
in one INSERT ... SELECT and one DELETE per REFRESH_CHUNK products, inside the caller's
transaction (a search never sees a half-written product). Every catalog write service that
changes what a document holds calls it after its writes: title, description, brand, product
type, categories, translations, status, the active variants' option values, SKUs and priced
currencies. The spreadsheet import's batch writer calls it once per batch.

Synonym groups (SearchSynonym) are edited in the admin through `save_synonym_group` and
`delete_synonym_groups`; the search reads them from the cache, dropped after each change.

PostgreSQL only (to_tsvector); on SQLite the documents are not kept and the search reads the
products' own columns (catalog.selectors.search).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from catalog.models import Product, SearchSynonym
from shop import cache_versions
from shop.exceptions import ValidationFailed

logger = logging.getLogger(__name__)

# Market locale -> PostgreSQL text-search configuration (stemming and stop words). A market whose
# locale is not here searches the English documents (docs/storefront.md, "Search").
SEARCH_LANGUAGES = {"en": "english", "de": "german"}
DEFAULT_SEARCH_LANGUAGE = "en"
SYNONYMS_CACHE_KEY = "catalog:search-synonyms:v1"
# The storefront's cached search results depend on the synonyms (shop.cache_versions scope).
SYNONYMS_SCOPE = "search-synonyms"
# Products per statement: bounds the size of one INSERT ... SELECT during a large import.
REFRESH_CHUNK = 5000


def search_language(locale: str) -> str:
    """The documents a market with `locale` ("de", "de-AT", "en_CA") searches."""
    base = (locale or "").replace("_", "-").split("-")[0].lower()
    return base if base in SEARCH_LANGUAGES else DEFAULT_SEARCH_LANGUAGE


# One document per (product, language): weights A title, B brand / categories (and their
# ancestors) / product type, C option values and SKUs of active variants, D description. The
# translation of that language comes first; the default copy is kept too, so a shopper in the
# EU market who types the English title still finds the product.
_REFRESH_SQL = """
INSERT INTO catalog_productsearchdocument (product_id, language, document, currencies)
SELECT p.id, lang.code,
    setweight(to_tsvector(lang.config::regconfig,
        concat_ws(' ', t.title, p.title)), 'A')
    || setweight(to_tsvector(lang.config::regconfig,
        concat_ws(' ', b.name, p.product_type, cats.names)), 'B')
    || setweight(to_tsvector(lang.config::regconfig,
        concat_ws(' ', vals.names, skus.names)), 'C')
    || setweight(to_tsvector(lang.config::regconfig,
        coalesce(nullif(t.description, ''), p.description)), 'D'),
    coalesce(prices.currencies, '[]'::jsonb)
FROM catalog_product p
CROSS JOIN unnest(%(codes)s::text[], %(configs)s::text[]) AS lang(code, config)
LEFT JOIN catalog_brand b ON b.id = p.brand_id
LEFT JOIN catalog_producttranslation t ON t.product_id = p.id AND t.locale = lang.code
LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT c.name, ' ') AS names
    FROM catalog_product_categories pc
    JOIN catalog_category own ON own.id = pc.category_id
    JOIN catalog_category c ON c.path = own.path OR own.path LIKE c.path || '/%%'
    WHERE pc.product_id = p.id
) cats ON true
LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT ov.value, ' ') AS names
    FROM catalog_variant v
    JOIN catalog_variant_option_values vov ON vov.variant_id = v.id
    JOIN catalog_optionvalue ov ON ov.id = vov.optionvalue_id
    WHERE v.product_id = p.id AND v.status = 'active'
) vals ON true
LEFT JOIN LATERAL (
    SELECT string_agg(v.sku, ' ') AS names
    FROM catalog_variant v WHERE v.product_id = p.id AND v.status = 'active'
) skus ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(DISTINCT vp.currency) AS currencies
    FROM catalog_variant v JOIN catalog_variantprice vp ON vp.variant_id = v.id
    WHERE v.product_id = p.id AND v.status = 'active'
) prices ON true
WHERE p.id = ANY(%(ids)s) AND p.status = 'active'
ON CONFLICT (product_id, language)
DO UPDATE SET document = EXCLUDED.document, currencies = EXCLUDED.currencies
"""
_PRUNE_SQL = """
DELETE FROM catalog_productsearchdocument d
USING catalog_product p
WHERE d.product_id = p.id AND d.product_id = ANY(%(ids)s)
    AND (p.status <> 'active' OR NOT (d.language = ANY(%(codes)s::text[])))
"""


def lock_products(product_ids: Iterable[int]) -> list[int]:
    """Lock these product rows (pk order, as every catalog writer locks) and return their ids.

    For a write that changes many products' documents without editing the products themselves
    (a category or brand renamed): a concurrent product edit then waits, and builds its
    document from the committed name, instead of overwriting the new document with one built
    from the old name.
    """
    ids = sorted({int(pk) for pk in product_ids})
    locked = Product.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return list(locked.values_list("pk", flat=True))


def refresh_search_documents(*, product_ids: Iterable[int]) -> None:
    """Rebuild the search documents of these products from their rows (in the caller's
    transaction); drop those of products that are no longer active. Two statements per
    REFRESH_CHUNK products. A no-op on databases without full-text search (SQLite)."""
    if connection.vendor != "postgresql":
        return
    ids = sorted({int(pk) for pk in product_ids if pk is not None})
    codes, configs = list(SEARCH_LANGUAGES), list(SEARCH_LANGUAGES.values())
    with connection.cursor() as cursor:
        for start in range(0, len(ids), REFRESH_CHUNK):
            params = {"ids": ids[start : start + REFRESH_CHUNK], "codes": codes}
            cursor.execute(_PRUNE_SQL, params)
            cursor.execute(_REFRESH_SQL, {**params, "configs": configs})


# --- synonyms --------------------------------------------------------------------------------


@transaction.atomic
def save_synonym_group(*, group: SearchSynonym, actor=None) -> SearchSynonym:
    """Save a synonym group as edited (phrases normalised: trimmed, lower case, one comma
    between). Raises ValidationFailed when fewer than two phrases are left."""
    phrases = []
    for phrase in group.phrases.split(","):
        phrase = " ".join(phrase.split()).lower()
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    if len(phrases) < 2:
        message = "Give at least two words or phrases, separated by commas."
        raise ValidationFailed(message, fields={"phrases": [message]})
    group.phrases = ", ".join(phrases)
    try:
        group.full_clean()
    except ValidationError as exc:
        first = next(iter(exc.message_dict.values()))[0]
        raise ValidationFailed(first, fields=exc.message_dict) from exc
    group.save()
    logger.info("%s saved search synonyms %r", actor, group.phrases)
    transaction.on_commit(forget_synonyms)
    cache_versions.bump_versions([SYNONYMS_SCOPE])  # cached search results are stale
    return group


@transaction.atomic
def delete_synonym_groups(*, groups: Iterable[SearchSynonym], actor=None) -> int:
    """Delete synonym groups; return how many."""
    ids = [g.pk for g in groups]
    count, _ = SearchSynonym.objects.filter(pk__in=ids).delete()
    logger.info("%s deleted %d search synonym group(s)", actor, count)
    transaction.on_commit(forget_synonyms)
    cache_versions.bump_versions([SYNONYMS_SCOPE])
    return count


def forget_synonyms() -> None:
    """Drop the cached synonym groups; the next search reads them again."""
    try:
        cache.delete(SYNONYMS_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the edit
        logger.warning("cache unavailable; cached search synonyms not dropped", exc_info=True)
