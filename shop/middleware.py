"""Pick the customer's market (currency, locale) from `?market=`, the cookie, or the default."""

from django.conf import settings
from django.utils import translation

from shop import selectors


class MarketMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        requested = request.GET.get("market") or request.COOKIES.get(settings.MARKET_COOKIE)
        request.market = selectors.get_market(requested)
        if not request.path.startswith(("/admin/", "/api/")):
            translation.activate(request.market.default_locale)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if request.GET.get("market") and request.GET["market"].upper() == request.market.code:
            response.set_cookie(
                settings.MARKET_COOKIE,
                request.market.code,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
