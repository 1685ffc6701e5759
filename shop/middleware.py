"""Request guards and context: refuse unstorable text in the address (TextBoundaryMiddleware),
pick the customer's market (MarketMiddleware), set the Content-Security-Policy header
(PolicyOnceCSPMiddleware)."""

from urllib.parse import unquote_to_bytes

from csp.constants import HEADER as CSP_HEADER
from csp.constants import HEADER_REPORT_ONLY as CSP_HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty

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
        problem = address_problem(request)
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


def address_problem(request) -> tuple[str, dict | None] | None:
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
        speaks_market_language = market_picks_language(request)
        if speaks_market_language:
            translation.activate(request.market.default_locale)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if speaks_market_language:
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        if request.GET.get("market") and request.GET["market"].upper() == request.market.code:
            response.set_cookie(
                settings.MARKET_COOKIE,
                request.market.code,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def market_picks_language(request) -> bool:
    """The customer's pages speak their market's language; the admin and the API negotiate
    one (Accept-Language, the language cookie: BrowserLanguageMiddleware)."""
    return not request.path_info.startswith(("/admin/", "/api/"))


class BrowserLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware where the browser's language counts: the admin and the API.

    On the customer's pages MarketMiddleware sets the market's language (and Content-Language)
    whatever the browser asks, so negotiating one there was wasted work, a tenth of a cached
    page's CPU, and its `Vary: Accept-Language` told caches in front to keep a copy per browser
    language of pages that do not differ by it.
    """

    def process_request(self, request):
        if not market_picks_language(request):
            super().process_request(request)

    def process_response(self, request, response):
        if market_picks_language(request):
            return response
        return super().process_response(request, response)


class LazyMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware with the storage made on first use.

    Most requests neither add nor show a message (a cached page never renders the context
    processor), yet Django builds the cookie and session storages and their signer on every
    one. Unused, the storage has nothing to save: a message from an earlier request stays in its
    cookie until a page shows it.
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


class PolicyOnceCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the header built once instead of on every response.

    The policy only changes per response when a view asks (csp_update/csp_replace/csp_exempt
    decorators) or a template takes a nonce; for every other response (almost all: the
    storefront uses no nonce) the header text is the same, and building it from the settings
    was a tenth of a cached page's CPU. Those responses get the text built on first use,
    forgotten when the settings change (tests); the others go through django-csp unchanged.
    """

    _OVERRIDES = (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_exempt",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
        "_csp_exempt_ro",
    )
    _headers: dict[str, str] | None = None

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in self._OVERRIDES)
            or (settings.DEBUG and response.status_code in (404, 500))  # Django's debug pages
        ):
            return super().process_response(request, response)
        headers = PolicyOnceCSPMiddleware._headers
        if headers is None:
            headers = PolicyOnceCSPMiddleware._headers = self._plain_headers()
        for name, value in headers.items():
            if name not in response and not _csp_excluded(request, name):
                response[name] = value
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _plain_headers(self) -> dict[str, str]:
        """What django-csp sets on a response without overrides, for a request it covers."""
        probe = HttpResponse()
        probe.status_code = 200
        super().process_response(_CoveredRequest(), probe)
        names = (CSP_HEADER, CSP_HEADER_REPORT_ONLY)
        return {name: probe[name] for name in names if name in probe}


class _CoveredRequest:
    """A request no EXCLUDE_URL_PREFIXES matches (the prefixes are checked per request)."""

    path_info = "\0"


def _csp_excluded(request, header: str) -> bool:
    setting = "CONTENT_SECURITY_POLICY"
    if header == CSP_HEADER_REPORT_ONLY:
        setting += "_REPORT_ONLY"
    prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return bool(prefixes) and request.path_info.startswith(tuple(prefixes))


@receiver(setting_changed)
def _forget_csp_headers(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        PolicyOnceCSPMiddleware._headers = None
