"""Storefront search: what a shopper typed, matched against the stored search documents.

On PostgreSQL a search reads catalog.ProductSearchDocument (one weighted tsvector per active
product and language, GIN-indexed, kept by catalog.services.search_index) in the market's
language, so "tees", "shirts" and "jackets" find their products (stemming), "black" finds
products with black variants (option values are in the document) and "NW-HOOD-01" finds its
product (SKUs are too). The words are parsed by PostgreSQL (`websearch_to_tsquery`: quotes,
`or`), never turned into tsquery syntax here, so no input is a syntax error. The last word
also matches as a prefix ("hood" finds hoodies). Synonym groups edited in the admin
(SearchSynonym) widen the query: "tshirt" also searches "t-shirt" and "tee". Results are
ranked with `ts_rank` of the words typed (title above brand and categories, above options and
SKUs, above the description), ties newest first.

The documents carry what the market can sell (active products, the currencies their active
variants are priced in), so the count and the page read one index and join the products of the
page only: the cost follows the matches, not the catalog. SQLite (`make run`) has no full-text
search: there each word is a case-insensitive substring of the title, brand, product type,
description, categories, option values or SKUs, with a crude plural rule ("tees" -> "tee").
"""

from __future__ import annotations

import functools
import json
import logging
import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Value

from catalog.models import (
    Category,
    OptionValue,
    Product,
    ProductSearchDocument,
    ProductTranslation,
    SearchSynonym,
    Variant,
    VariantPrice,
    VariantStatus,
)
from catalog.services.search_index import (
    SEARCH_LANGUAGES,
    SYNONYMS_CACHE_KEY,
    search_language,
)
from shop.models import Market
from shop.prepared import fetch_prepared

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12  # words of a prefix query: a pasted paragraph stays a bounded query
MAX_ALTERNATIVES = 8  # synonym rewrites of one query
SYNONYMS_TTL = 600  # seconds; a write drops the entry at once, this bounds a missed drop
_WORD = re.compile(r"[^\W_]+")
_SEPARATORS = re.compile(r"[\s\-_/.]+")
_LEADING_MINUS = re.compile(r"(^|\s)-+")


def search_products(*, market: Market, query: str) -> QuerySet[Product]:
    """Active products sellable in `market` that match `query`, annotated with `rank`
    (unordered: the caller sorts, "-rank" for best match). An empty queryset when nothing in
    the query can match (only punctuation, only stop words)."""
    query = query[:MAX_QUERY_LENGTH].strip()
    if not _WORD.search(query):
        return Product.objects.annotate(rank=Value(0.0)).none()
    if connection.vendor == "postgresql":
        return _full_text(market, query)
    return _substring(market, query)


def has_searchable_words(query: str) -> bool:
    """Whether `query` holds a letter or digit (a query of punctuation cannot match)."""
    return bool(_WORD.search(query or ""))


# --- PostgreSQL --------------------------------------------------------------------------------


def search_product_ids(*, market: Market, query: str, limit: int, offset: int = 0) -> list[int]:
    """Ids of the best matches from `offset`, at most `limit`, best first (ties: newest first),
    read from the search index alone: the storefront's result list, whatever the catalog's
    size.

    On PostgreSQL one prepared statement per (language, number of synonym rewrites, prefix or
    not): building and compiling the queryset was most of a new search's Python time before its
    cards (~1.5 ms of ~1.9), and PostgreSQL plans each shape once per connection.
    """
    query = query[:MAX_QUERY_LENGTH].strip()
    if not _WORD.search(query):
        return []
    if connection.vendor != "postgresql":
        ids = _substring(market, query).order_by("-pk").values_list("pk", flat=True)
        return list(ids[offset : offset + limit])
    language = search_language(market.default_locale)
    config = SEARCH_LANGUAGES[language]
    rewrites = _synonym_rewrites(query)
    prefix = _prefix_text(query)
    params = {
        "typed": _as_words(query),
        **{f"rewrite{i}": _as_words(text) for i, text in enumerate(rewrites)},
        "prefix": prefix,
        "exact": prefix.removesuffix(":*") if prefix is not None else None,
        "currencies": json.dumps([market.currency]),
        "limit": limit,
        "offset": offset,
    }
    sql = _ranked_ids_sql(language, config, len(rewrites), prefix is not None)
    return [row[0] for row in fetch_prepared(connection, sql, params)]


@functools.cache
def _ranked_ids_sql(language: str, config: str, rewrites: int, prefix: bool) -> str:
    """What _matching_documents ordered by rank asks, for one shape. The language and its
    configuration are ours (SEARCH_LANGUAGES), never input, and are written into the statement:
    planned once, a parameter could not tell PostgreSQL that the language's partial GIN index
    applies (catalog migration 0004). What was typed only ever travels as a parameter."""
    table = ProductSearchDocument._meta.db_table

    def websearch(name: str) -> str:
        return f"websearch_to_tsquery('{config}'::regconfig, %({name})s)"

    def raw(name: str) -> str:
        return f"to_tsquery('{config}'::regconfig, %({name})s)"

    typed = websearch("typed")
    if prefix:
        # The typed words or the prefix query. When the typed words parse to the prefix
        # query's own words without the prefix (no quotes, "or" or stop-word difference), every
        # document they match the prefix query matches too: the index is asked for the prefix
        # query alone, not for both (~2.3 ms of PostgreSQL instead of ~3.9 for a three-word
        # query on 100,000 products: each branch of an OR walks its own postings).
        typed = (
            f"CASE WHEN {typed}::text = {raw('exact')}::text THEN {raw('prefix')} "
            f"ELSE {typed} || {raw('prefix')} END"
        )
    matches = [typed, *(websearch(f"rewrite{i}") for i in range(rewrites))]
    # Each tsquery in a scalar subquery: worked out once per run (an InitPlan), not once per
    # matching row, which a generic plan would do with a function of a parameter (7 ms against
    # 10 for a query matching 1,700 of 100,000 documents).
    return f"""SELECT d.product_id FROM {table} d
WHERE d.language = '{language}'
    AND d.document @@ (SELECT {" || ".join(f"({m})" for m in matches)})
    AND d.currencies @> %(currencies)s::jsonb
ORDER BY ts_rank(d.document, (SELECT {websearch("typed")})) DESC, d.product_id DESC
LIMIT %(limit)s::bigint OFFSET %(offset)s::bigint"""


def count_search_results(*, market: Market, query: str) -> int:
    """How many products match, counted on the search index alone (no product row read)."""
    query = query[:MAX_QUERY_LENGTH].strip()
    if not _WORD.search(query):
        return 0
    if connection.vendor != "postgresql":
        return _substring(market, query).count()
    return _matching_documents(market, query).order_by().count()


def _text_queries(market: Market, query: str) -> tuple[str, SearchQuery, SearchQuery]:
    """(language, what matches, what ranks) for `query` in the market's language.

    The match is widened by synonyms and the prefix, the rank is the typed words' only: exact
    words first, and ts_rank's cost grows with the query's terms on every matching row.
    """
    language = search_language(market.default_locale)
    config = SEARCH_LANGUAGES[language]

    def words(text: str) -> SearchQuery:
        return SearchQuery(_as_words(text), search_type="websearch", config=config)

    typed = words(query)
    matches = typed
    for rewrite in _synonym_rewrites(query):
        matches = matches | words(rewrite)
    prefix = _prefix_query(query, config)
    if prefix is not None:
        matches = matches | prefix
    return language, matches, typed


def _matching_documents(market: Market, query: str) -> QuerySet[ProductSearchDocument]:
    language, matches, typed = _text_queries(market, query)
    return ProductSearchDocument.objects.filter(
        language=language, document=matches, currencies__contains=[market.currency]
    ).annotate(rank=SearchRank(F("document"), typed))


def _full_text(market: Market, query: str) -> QuerySet[Product]:
    language, matches, typed = _text_queries(market, query)
    # A document exists only while its product is active (catalog.services.search_index), so
    # the products table is not read to filter, only to show the page.
    in_language = Q(search_documents__language=language)
    document = FilteredRelation("search_documents", condition=in_language)
    return (
        Product.objects.annotate(search=document)
        .filter(search__document=matches, search__currencies__contains=[market.currency])
        .annotate(rank=SearchRank(F("search__document"), typed))
    )


def _as_words(text: str) -> str:
    """`text` for websearch_to_tsquery. A leading "-" would be websearch's NOT: a query of
    exclusions matches the whole catalog without the index, so a hyphen only ever joins words
    here."""
    return _LEADING_MINUS.sub(r"\1", text)


def _prefix_query(query: str, config: str) -> SearchQuery | None:
    """The words, the last one as a prefix ("summit hood" finds "Summit Hoodie")."""
    text = _prefix_text(query)
    return None if text is None else SearchQuery(text, search_type="raw", config=config)


def _prefix_text(query: str) -> str | None:
    """The prefix query's tsquery text ("summit & hood:*"), or None when the last word is too
    short. Built from letters and digits only (`_WORD`), so the tsquery syntax around them
    cannot be broken by what was typed; stop words and stemming are the configuration's."""
    words = _WORD.findall(query)[:MAX_WORDS]
    if not words or len(words[-1]) < 2:
        return None
    return " & ".join([*words[:-1], f"{words[-1]}:*"])


# --- synonyms --------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, hyphens and slashes as spaces, single spaces, plurals as their singular:
    "T-Shirts" -> "t shirt" (how a typed query and a synonym phrase are compared)."""
    return " ".join(_singular(word) for word in _SEPARATORS.sub(" ", text.lower()).split())


def _synonym_rewrites(query: str) -> list[str]:
    """The query with each synonym phrase it contains replaced by the others of its group."""
    text = f" {normalise(query)} "
    rewrites: list[str] = []
    for group in synonym_groups():
        found = next((p for p in sorted(group, key=len, reverse=True) if f" {p} " in text), None)
        if found is None:
            continue
        for other in group:
            if other != found:
                rewrite = text.replace(f" {found} ", f" {other} ").strip()
                if rewrite not in rewrites:
                    rewrites.append(rewrite)
    return rewrites[:MAX_ALTERNATIVES]


def synonym_groups() -> list[list[str]]:
    """Every synonym group as normalised phrases, from the cache (refilled from the table)."""
    try:
        groups = cache.get(SYNONYMS_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage degrades to the table
        logger.warning("cache unavailable; search synonyms read from the database", exc_info=True)
        return _load_synonym_groups()
    if groups is None:
        groups = _load_synonym_groups()
        try:
            cache.set(SYNONYMS_CACHE_KEY, groups, SYNONYMS_TTL)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable; search synonyms not cached", exc_info=True)
    return groups


def _load_synonym_groups() -> list[list[str]]:
    groups = []
    for row in SearchSynonym.objects.order_by("pk").values_list("phrases", flat=True):
        phrases = [normalise(p) for p in row.split(",")]
        phrases = list(dict.fromkeys(p for p in phrases if p))
        if len(phrases) > 1:
            groups.append(phrases)
    return groups


# --- SQLite ------------------------------------------------------------------------------------


def _substring(market: Market, query: str) -> QuerySet[Product]:
    priced = VariantPrice.objects.filter(
        variant__product=OuterRef("pk"),
        variant__status=VariantStatus.ACTIVE,
        currency=market.currency,
    )
    matches = Q(pk__in=[])
    for text in [query, *_synonym_rewrites(query)]:
        words = _WORD.findall(normalise(text))[:MAX_WORDS]
        every_word = Q()
        for word in words:
            every_word &= _word_match(word)
        if words:
            matches |= every_word
    return (
        Product.objects.active().filter(Exists(priced)).filter(matches).annotate(rank=Value(0.0))
    )


def _singular(word: str) -> str:
    """A crude English singular ("tees" -> "tee", "boxes" -> "box"), only to compare phrases
    and for SQLite; PostgreSQL stems with the market language's dictionary."""
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _word_match(word: str) -> Q:
    active = Variant.objects.filter(product=OuterRef("pk"), status=VariantStatus.ACTIVE)
    option_value = OptionValue.objects.filter(
        variants__product=OuterRef("pk"),
        variants__status=VariantStatus.ACTIVE,
        value__icontains=word,
    )
    category = Category.objects.filter(products=OuterRef("pk"), name__icontains=word)
    translated = ProductTranslation.objects.filter(product=OuterRef("pk"), title__icontains=word)
    return (
        Q(title__icontains=word)
        | Q(brand__name__icontains=word)
        | Q(product_type__icontains=word)
        | Q(description__icontains=word)
        | Q(Exists(translated))
        | Q(Exists(active.filter(sku__icontains=word)))
        | Q(Exists(option_value))
        | Q(Exists(category))
    )
