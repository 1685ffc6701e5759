from shop.selectors import list_markets


def storefront(request):
    return {
        "current_market": getattr(request, "market", None),
        "markets": list_markets(),
    }
