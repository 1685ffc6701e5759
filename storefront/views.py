"""Storefront pages: the home page, category listings, search and the product page.

Pages compose reads of every domain app (catalog today; inventory through the catalog's
availability port; promotions and orders as they land). No domain app imports this one.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from storefront import (
    html_cache,
    listing_page,
    page_cache,
    product_page,
    search_page,
)
from storefront.forms import (
    FILTER_PREFIX,
    chosen_filters,
    chosen_sort,
    listing_selects,
    unknown_sort,
)
from storefront.http_caching import anonymous_cacheable

PER_PAGE = listing_page.PER_PAGE


@require_safe
@anonymous_cacheable
def home(request):
    """The front page: featured and newest products and the top-level categories."""
    context = listing_page.get_home(request=request, market=request.market)
    return html_cache.render_page(
        request,
        "storefront/home.html",
        context,
        version_key=context["version_key"],
        live=context["featured"].stamp,
        live_seconds=settings.AVAILABILITY_CACHE_SECONDS,
        shown_live=lambda: (context["featured"].flags, context["newest"].flags),
    )


@require_safe
@anonymous_cacheable
def category_detail(request, path: str):
    """`/c/<path>/`: active products in the category and its descendants, sorted and filtered.

    Bad input gets a clear answer and never a new cache key: unknown filters and filter values
    are dropped, an unknown sort is named and the featured order shown, a page that is not a
    positive number is a 400 and a page past the end an empty 404 saying how many there are.
    """
    market = request.market
    # One cache round trip: guess the category from this process's last tree, read its
    # listing's versions with the tree's, and check the guess against the current tree.
    guess = page_cache.latest_category_tree()
    guessed = guess.find(path) if guess else None
    versions = listing_page.read_listing_versions(guessed, market, request) if guessed else None
    tree = page_cache.get_category_tree(request, versions)
    category = tree.find(path)
    if category is None:
        raise Http404("No such category")
    if category.path != path.strip("/"):
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(f"/c/{category.path}/{query}", permanent=True)
    number = _page_number(request.GET.get("page"))
    if number is None:
        return _bad_request(request, _("The page number must be a whole number from 1 up."))
    if guessed != category:
        versions = listing_page.read_listing_versions(category, market, request)
    facets = listing_page.get_facets(category=category, market=market, versions=versions)
    sort, filters = chosen_sort(request.GET), chosen_filters(request.GET, facets)
    ids = listing_page.get_product_ids(
        category=category, market=market, sort=sort, filters=filters, versions=versions
    )
    context = {
        "category": category,
        "breadcrumbs": tree.ancestors(category)[:-1],
        "subcategories": tree.children(category),
        # Called only if the page is rendered (not for a page the HTML cache serves).
        "listing_selects": lambda: listing_selects(request.GET, facets),
        "sort": sort,
        "filtered": bool(filters),
        "unknown_sort": unknown_sort(request.GET),
        "count": len(ids),
    }
    last = max(1, -(-len(ids) // listing_page.PER_PAGE))
    if number > last:
        context.update(missing_page=number, last_page=last)
        return render(request, "storefront/category.html", context, status=404)
    page_obj = listing_page.paginate(len(ids), number)
    document = listing_page.get_page_cards(
        category=category,
        market=market,
        sort=sort,
        filters=filters,
        page_ids=ids[page_obj.start_index() - 1 : page_obj.end_index()],
        number=number,
        versions=versions,
    )
    (cards,) = listing_page.with_stock([document], market=market, request=request)
    context.update(
        page_obj=page_obj,
        page_links=lambda: listing_page.page_links(request.GET, page_obj),
        cards=cards,
    )
    return html_cache.render_page(
        request,
        "storefront/category.html",
        context,
        version_key=document.get("version_key"),
        live=cards.stamp,
        live_seconds=settings.AVAILABILITY_CACHE_SECONDS,
        shown_live=lambda: cards.flags,
        params=_understood_params(request, filters),
    )


def _understood_params(request, filters: dict) -> list[str]:
    """The query parameters that all went into the listing as given (a known sort, a page, a
    filter value the facets offer): only then may the rendered page be kept."""
    names = ["page"]
    if not unknown_sort(request.GET):
        names.append("sort")
    given = {k: v for k, v in request.GET.items() if k.startswith(FILTER_PREFIX) and v}
    if all(filters.get(k.removeprefix(FILTER_PREFIX)) == v for k, v in given.items()):
        names += list(given)
    return names


MAX_PAGE_DIGITS = 9  # a longer number is past any listing's end: no int() of a huge string


def _page_number(raw: str | None) -> int | None:
    """The requested page (1 when absent), or None when it is not a positive whole number."""
    if raw is None or raw == "":
        return 1
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    if len(raw) > MAX_PAGE_DIGITS:
        return 10**MAX_PAGE_DIGITS
    number = int(raw)
    return number if number >= 1 else None


def _bad_request(request, detail: str):
    return render(request, "400.html", {"detail": detail}, status=400)


@require_safe
def search(request):
    """`/search?q=`: full-text search over active products, best match first
    (storefront/search_page.py: results and cards from the versioned cache, stock fresh).

    Any text is a search: operators are words, a query longer than 200 characters is cut,
    one without letters or digits finds nothing; a page past the end shows the last one.
    """
    market = request.market
    query = request.GET.get("q", "").strip()[:200]
    sort = chosen_sort(request.GET)
    context = {
        "search_query": query,
        "listing_selects": lambda: listing_selects(request.GET, (), relevance=True),
        "sort": sort,
    }
    if query:
        versions, with_nav = search_page.read_search_versions(market, request)
        page_cache.get_category_tree(request, with_nav)  # the header's, same round trip
        ids = search_page.get_result_ids(query=query, market=market, sort=sort, versions=versions)
        shown = ids[: search_page.MAX_RESULTS]
        last = max(1, -(-len(shown) // PER_PAGE))
        number = min(_page_number(request.GET.get("page")) or 1, last)
        page_obj = listing_page.paginate(len(shown), number)
        document = search_page.get_page_cards(
            query=query,
            market=market,
            sort=sort,
            page_ids=shown[page_obj.start_index() - 1 : page_obj.end_index()],
            number=number,
            versions=versions,
        )
        (cards,) = listing_page.with_stock([document], market=market, request=request)
        context.update(
            page_obj=page_obj,
            page_links=lambda: listing_page.page_links(request.GET, page_obj),
            cards=cards,
            more_results=len(ids) > len(shown),
        )
        return html_cache.render_page(
            request,
            "storefront/search.html",
            context,
            version_key=document.get("version_key"),
            live=cards.stamp,
            live_seconds=settings.AVAILABILITY_CACHE_SECONDS,
            shown_live=lambda: cards.flags,
            params=["q", "page"] + ([] if unknown_sort(request.GET) else ["sort"]),
        )
    return render(request, "storefront/search.html", context)


@require_safe
def product_detail(request, handle: str):
    """`/p/<handle>/`: the product in the market's locale and currency, with its variants.

    The document comes from the versioned cache; availability is read fresh (usually kept:
    inventory.availability_cache), or the page kept under the variants' stock versions.
    """
    market = request.market
    document = product_page.get_product_document(request=request, handle=handle, market=market)
    sku = request.GET.get("sku", "")
    page_cache.get_category_tree(request)
    known_sku = any(v["sku"] == sku for v in document["variants"])

    availability_now = product_page.AvailabilityNow(document, market)

    def context() -> dict:  # built only when the page is rendered, not when it was kept
        page = product_page.with_availability(document, availability_now=availability_now, sku=sku)
        page["breadcrumbs"] = product_page.breadcrumbs(request, document)
        return page

    response = html_cache.render_page(
        request,
        "storefront/product.html",
        context,
        version_key=document["version_key"],
        live=product_page.stock_stamp(document),
        live_seconds=settings.AVAILABILITY_CACHE_SECONDS,
        shown_live=availability_now.shown,
        params=["sku"] if known_sku else [],
    )
    # Its add-to-cart form carries this visitor's CSRF token: never for a shared cache.
    patch_cache_control(response, private=True)
    return response
