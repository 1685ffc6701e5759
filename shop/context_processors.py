from shop.selectors import list_markets


def storefront(request):
    return {
        "current_market": getattr(request, "market", None),
        # MarketMiddleware read them already: once per request, not twice.
        "markets": getattr(request, "markets", None) or list_markets(),
    }
