"""One guest buyer, two ways: through the storefront's pages (forms, session cookie, CSRF,
redirects followed as a browser does) or through the REST API (API.md). Each returns an
Outcome: `placed`, `sold_out` (the shop said the stock is gone) or `error`, with the time of
each step.

Storefront steps (one click each):
    product   GET /p/<handle>/
    add       POST /cart/add/                  -> the cart page
    checkout  the cart page's "Check out" link  -> the identify step
    identify  POST the e-mail                  -> the address step
    address   POST the address                 -> the shipping step
    shipping  POST the method                  -> the payment step
    payment   POST card 4242 4242 4242 4242    -> the review page
    place     POST Place order (page's key)    -> the order's confirmation page
The `storefront` way is a browser running the shop's script (shop/static/shop/site.js): a form
marked `data-next-page` is answered with the page it leads to (storefront/next_page.py), one
request a click. `storefront-noscript` is a browser without it: each POST is answered with a
redirect and the page is a second request.
API steps: product page, POST /carts, POST /lines, PUT /checkout (address), PUT /checkout
(shipping method), GET the cart (review), POST /orders (Idempotency-Key, tok_visa).
"""

from __future__ import annotations

import html
import http.client
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

STOREFRONT_STEPS = ["product", "add", "checkout", "identify", "address", "shipping", "payment"]
STOREFRONT_STEPS += ["place"]
API_STEPS = ["product", "cart", "add", "address", "shipping", "review", "place"]
ADDRESS = {
    "name": "Load Buyer",
    "line1": "350 Fifth Avenue",
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
    "country": "US",
}
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12 / 30", "cvc": "123"}
# What the storefront says when the stock is gone (storefront.views_cart.stock_message, and
# the review page's line problems, storefront.cart_display).
SOLD_OUT_WORDS = ("is out of stock", "Out of stock.", " left.")
PLACE_ORDER_FORM = "data-place-order"  # the review page's form (checkout/review.html)


@dataclass
class Response:
    status: int
    location: str
    body: bytes
    seconds: float
    content_type: str
    page_url: str = ""  # X-Page-URL: the address of the page a POST was answered with


# The requests a checkout lane serves (docs/deployment.md "A checkout lane"): placing an order,
# on the storefront and through the API. Exact paths, as the proxy's location blocks name them.
CHECKOUT_LANE = frozenset({("POST", "/checkout/place/"), ("POST", "/api/v1/orders")})


class Http:
    """One buyer's connection (kept alive where the server keeps it) and cookie jar; with
    `lane_url`, a second connection to the checkout lane for the CHECKOUT_LANE requests (as a
    proxy in front would route them)."""

    def __init__(self, base_url: str, lane_url: str | None = None):
        self.connection = _connect(base_url)
        self.lane = _connect(lane_url) if lane_url else None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None) -> Response:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        lane = self.lane is not None and (method, path.split("?", 1)[0]) in CHECKOUT_LANE
        connection = self.lane if lane else self.connection
        started = time.perf_counter()
        try:
            response = self._send(connection, method, path, body, sent)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed a kept-alive connection under us: send again on a new one
            # (POST /orders carries the same Idempotency-Key, so a repeat is only a replay;
            # the place-order form its page's key).
            connection.close()
            response = self._send(connection, method, path, body, sent)
        raw = response.read()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Response(
            response.status,
            response.getheader("Location", ""),
            raw,
            time.perf_counter() - started,
            response.getheader("Content-Type", ""),
            response.getheader("X-Page-URL", ""),
        )

    def _send(self, connection, method, path, body, headers):
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse()

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, object, float]:
        """A JSON API call: (status, decoded body, seconds)."""
        sent = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        response = self.request(method, path, data, sent)
        answer: object = response.body
        if response.content_type.startswith("application/json"):
            answer = json.loads(response.body or b"null")
        return response.status, answer, response.seconds

    def close(self) -> None:
        self.connection.close()
        if self.lane is not None:
            self.lane.close()


def _connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=120)


@dataclass
class Outcome:
    """What one checkout did: `placed`, `sold_out` or `error` (with what went wrong)."""

    result: str
    timings: dict[str, float] = field(default_factory=dict)
    detail: str = ""


class _Stop(Exception):
    def __init__(self, result: str, detail: str):
        super().__init__(detail)
        self.result, self.detail = result, detail


# --- the storefront ---------------------------------------------------------------------------

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)
_LINK = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def hidden_fields(page: str) -> dict[str, str]:
    """The page's hidden inputs (CSRF token, the review form's cart and key, `next`)."""
    found = {}
    for tag in _INPUT.findall(page):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            found[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return found


def answers_inline(page: str, path: str) -> bool:
    """Whether the page's form that posts to `path` is marked `data-next-page` (the shop's
    script sends it asking for the next page in the answer)."""
    for tag in _FORM.findall(page):
        action = html.unescape(dict(_ATTRIBUTE.findall(tag)).get("action", ""))
        if action in ("", path) and re.search(r"\sdata-next-page[\s>=]", tag):
            return True
    return False


def marked_link(page: str, marker: str) -> str:
    """The href of the page's first link carrying the attribute `marker`, or ""."""
    for tag in _LINK.findall(page):
        if re.search(rf"\s{re.escape(marker)}[\s>=]", tag):
            return html.unescape(dict(_ATTRIBUTE.findall(tag)).get("href", ""))
    return ""


class Browser:
    """Pages and forms as a browser does them: cookies, CSRF token, redirects followed; with
    `script`, the forms the shop's script sends are answered with the next page."""

    def __init__(self, http: Http, *, script: bool = True):
        self.http = http
        self.script = script
        self.path, self.page = "", ""

    def visit(self, method: str, path: str, form: dict | None = None) -> float:
        """GET `path` or POST `form` to it (with the current page's hidden fields), follow the
        redirects; the page landed on becomes the current one. Returns the seconds it took."""
        seconds = 0.0
        body, headers = None, {"Accept": "text/html"}
        if method == "POST":
            fields = {**hidden_fields(self.page), **(form or {})}
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self.script and answers_inline(self.page, path):
                headers["X-Next-Page"] = "inline"
        for _hop in range(6):
            response = self.http.request(method, path, body, headers)
            seconds += response.seconds
            if response.page_url:
                path = response.page_url
            if response.status not in (301, 302, 303):
                break
            target = urlsplit(response.location)
            path = target.path + (f"?{target.query}" if target.query else "")
            method, body = "GET", None
            headers = {"Accept": "text/html"}
        if response.status != 200:
            raise _Stop("error", f"{path}: HTTP {response.status}")
        self.path, self.page = path, response.body.decode("utf-8", "replace")
        return seconds

    @property
    def says_sold_out(self) -> bool:
        return any(words in self.page for words in SOLD_OUT_WORDS)


def storefront_checkout(
    http: Http, *, sku: str, handle: str, email: str, script: bool = True
) -> Outcome:
    """A guest buys one unit of `sku` on the storefront's pages with the 4242 card (with or
    without the shop's script)."""
    browser, timings = Browser(http, script=script), {}
    try:
        timings["product"] = browser.visit("GET", f"/p/{handle}/")
        timings["add"] = browser.visit("POST", "/cart/add/", {"sku": sku, "quantity": "1"})
        if browser.path != "/cart/":
            raise _Stop("sold_out" if browser.says_sold_out else "error", f"add: {browser.path}")
        checkout_url = marked_link(browser.page, "data-checkout-link")
        if not checkout_url:
            raise _Stop("error", "cart: no check-out link")
        timings["checkout"] = browser.visit("GET", checkout_url)
        timings["identify"] = browser.visit("POST", browser.path, {"email": email})
        timings["address"] = browser.visit("POST", browser.path, {**ADDRESS, "line2": ""})
        timings["shipping"] = browser.visit("POST", browser.path, {"method": "standard"})
        timings["payment"] = browser.visit("POST", browser.path, CARD)
        if browser.path != "/checkout/review/":
            raise _Stop("error", f"payment: landed on {browser.path}")
        if PLACE_ORDER_FORM not in browser.page:
            # The review page checks stock again and offers no button when a line is gone:
            # someone bought the last units while this buyer was on the checkout steps.
            sold_out = browser.says_sold_out
            raise _Stop("sold_out" if sold_out else "error", "review: no place-order form")
        timings["place"] = browser.visit("POST", "/checkout/place/")
    except _Stop as stop:
        return Outcome(stop.result, timings, stop.detail)
    if browser.path.startswith("/orders/ord_"):
        return Outcome("placed", timings)
    if browser.path == "/cart/" and browser.says_sold_out:
        return Outcome("sold_out", timings, "place: sold out")
    return Outcome("error", timings, f"place: landed on {browser.path}")


# --- the API ----------------------------------------------------------------------------------


def api_checkout(http: Http, *, sku: str, handle: str, email: str) -> Outcome:
    """A guest buys one unit of `sku` through the REST API with tok_visa."""
    timings: dict[str, float] = {}

    def step(name, expected, method, path, body=None, headers=None):
        status, answer, seconds = http.call(method, path, body, headers)
        timings[name] = seconds
        if status in expected:
            return answer
        code = answer.get("code", "") if isinstance(answer, dict) else ""
        result = "sold_out" if code == "insufficient_stock" else "error"
        raise _Stop(result, f"{name}: {status} {code}")

    try:
        product = http.request("GET", f"/p/{handle}/", headers={"Accept": "text/html"})
        timings["product"] = product.seconds
        if product.status != 200:
            raise _Stop("error", f"product: HTTP {product.status}")
        cart = step("cart", {201}, "POST", "/api/v1/carts", {"market": "US", "channel": "web"})
        cart_url = f"/api/v1/carts/{cart['id']}"
        step("add", {200, 201}, "POST", f"{cart_url}/lines", {"sku": sku, "quantity": 1})
        contact = {"email": email, "shipping_address": ADDRESS}
        step("address", {200}, "PUT", f"{cart_url}/checkout", contact)
        chosen = {**contact, "shipping_method": "standard"}
        step("shipping", {200}, "PUT", f"{cart_url}/checkout", chosen)
        step("review", {200}, "GET", cart_url)
        order = step(
            "place",
            {201},
            "POST",
            "/api/v1/orders",
            {"cart": cart["id"], "payment": {"method": "card", "token": "tok_visa"}},
            {"Idempotency-Key": uuid.uuid4().hex},
        )
    except _Stop as stop:
        return Outcome(stop.result, timings, stop.detail)
    if order.get("status") != "placed":
        return Outcome("error", timings, f"place: order {order.get('status')}")
    return Outcome("placed", timings)


def storefront_checkout_without_script(http: Http, *, sku: str, handle: str, email: str):
    """storefront_checkout in a browser that does not run the shop's script."""
    return storefront_checkout(http, sku=sku, handle=handle, email=email, script=False)


WAYS = {
    "storefront": (storefront_checkout, STOREFRONT_STEPS),
    "storefront-noscript": (storefront_checkout_without_script, STOREFRONT_STEPS),
    "api": (api_checkout, API_STEPS),
}
# HTTP requests one checkout makes: with the script a click is one request; without it a
# POST and the page its redirect leads to.
REQUESTS = {"storefront": 8, "storefront-noscript": 14, "api": 7}
