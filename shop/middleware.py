"""Request guards and context: refuse unstorable text in the address (TextBoundaryMiddleware),
pick the customer's market (MarketMiddleware)."""

from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation

from shop import selectors
from shop.api.errors import error_body
from shop.text import bytes_problem, text_problem

MAX_NAME_ECHO = 60  # a refused parameter's name is echoed at most this long


class TextBoundaryMiddleware:
    """Refuse a path or query string carrying a NUL or a would-be lone surrogate, up front.

    Django hands both to views as text, and the first query with them is a 500 (PostgreSQL
    refuses NUL) or a silent U+FFFD. One check here covers every URL pattern, including
    ones added later: a 400 `invalid_text` in the API's error shape under /api/, the plain
    400 page elsewhere. Bodies are checked where they are parsed (shop.api.parsers, forms).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _address_problem(request)
        if problem is None:
            return self.get_response(request)
        detail, fields = problem
        if request.path_info.startswith("/api/"):
            return JsonResponse(error_body("invalid_text", detail, fields), status=400)
        return HttpResponseBadRequest(render_to_string("400.html", {"detail": detail}))


def _wsgi_bytes(meta, key: str) -> bytes:
    value = meta.get(key, "")
    try:
        return value.encode("iso-8859-1")  # WSGI tunnels the raw bytes as latin-1 (PEP 3333)
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")  # ASGI: the server decoded it already


def _address_problem(request) -> tuple[str, dict | None] | None:
    """(detail, fields) when the path or a query parameter is not storable text, else None.

    The path is checked as Django decoded it: bytes that are not UTF-8 (%ED%A0%80, a lone
    surrogate's would-be encoding) were already percent-encoded again into plain ASCII text
    (django.utils.encoding.repercent_broken_unicode), so only a NUL, or a surrogate an ASGI
    server let through, can be left. The query string is read raw, as Django's QueryDict
    would otherwise replace broken bytes with U+FFFD without a word.
    """
    problem = text_problem(request.path_info)
    if problem:
        return f"The address is refused: {_lower_first(problem)}", None
    query = _wsgi_bytes(request.META, "QUERY_STRING")
    if not query:
        return None
    for part in query.split(b"&"):
        raw_name, _, raw_value = part.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        problem = bytes_problem(name)
        if problem:
            return f"A query parameter's name is refused: {_lower_first(problem)}", None
        problem = bytes_problem(unquote_to_bytes(raw_value.replace(b"+", b" ")))
        if problem:
            label = name.decode()[:MAX_NAME_ECHO]
            detail = f"The query parameter {label!r} is refused: {_lower_first(problem)}"
            return detail, {label: [problem]}
    return None


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


class MarketMiddleware:
    """Pick the customer's market (currency, locale) from `?market=`, the cookie, or the
    default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        requested = request.GET.get("market") or request.COOKIES.get(settings.MARKET_COOKIE)
        request.markets = selectors.list_markets()
        request.market = selectors.get_market(requested, markets=request.markets)
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
