"""Which cart a visitor's pages show: the session remembers one cart id per market.

A guest's cart lives only in their session (its id is a capability, API.md); a signed-in
customer's cart is also found by customer, so it follows them to another browser. On login
the guest's carts merge into the customer's (orders.services.merge_guest_cart), through
Django's `user_logged_in` signal (connected in StorefrontConfig.ready()).
"""

from __future__ import annotations

import logging

from django.db.models import Q, Subquery, Sum

from orders import selectors as order_selectors
from orders import services as order_services
from orders.exceptions import CartNotFound
from orders.models import Cart, CartLine, CartStatus
from shop import selectors as shop_selectors
from shop.exceptions import DomainError
from shop.models import Channel

SESSION_CARTS = "carts"  # {market code: cart public id}
logger = logging.getLogger(__name__)


def _ids(request) -> dict[str, str]:
    value = request.session.get(SESSION_CARTS)
    return dict(value) if isinstance(value, dict) else {}


def remember_cart(request, cart: Cart) -> None:
    ids = _ids(request)
    if ids.get(cart.market.code) != cart.public_id:
        ids[cart.market.code] = cart.public_id
        request.session[SESSION_CARTS] = ids


def forget_cart(request, cart: Cart) -> None:
    ids = _ids(request)
    if ids.get(cart.market.code) == cart.public_id:
        del ids[cart.market.code]
        request.session[SESSION_CARTS] = ids


def session_cart(request) -> Cart | None:
    """The visitor's cart in the request's market, in any status (checkout pages need the
    order of a cart that has just been converted), or None.

    Signed in without a remembered cart: the customer's latest open cart in the market.
    """
    market, user = request.market, request.user
    cart_id = _ids(request).get(market.code)
    if cart_id:
        try:
            cart = order_selectors.get_cart(public_id=cart_id, user=user)
        except CartNotFound:
            cart = None
        if cart is not None and cart.market_id == market.pk:
            return cart
        request.session[SESSION_CARTS] = {
            code: value for code, value in _ids(request).items() if code != market.code
        }
    cart = order_selectors.find_open_cart(customer=user, market=market)
    if cart is not None:
        remember_cart(request, cart)
    return cart


def open_session_cart(request) -> Cart | None:
    """The visitor's open cart in the request's market; a checked-out one is forgotten."""
    cart = session_cart(request)
    if cart is not None and not cart.is_open:
        forget_cart(request, cart)
        return None
    return cart


def add_to_cart(request, *, sku: str, quantity: int, queue_ticket: str = "") -> CartLine | None:
    """Add `quantity` of `sku` to the visitor's open cart, opening one if needed (None: the
    web channel is shut). Opening the cart and adding its first line are one transaction,
    so a refused first line leaves no empty cart behind. Raises what add_cart_line raises.
    """
    cart = open_session_cart(request)
    if cart is not None:
        return order_services.add_cart_line(
            cart=cart, sku=sku, quantity=quantity, queue_ticket=queue_ticket
        )
    channel = shop_selectors.find_open_channel(Channel.Kind.WEB)
    if channel is None:
        return None
    line = order_services.open_cart_with_line(
        market=request.market,
        channel=channel,
        customer=request.user,
        session_key=request.session.ensure_key(),  # a guest cart records its session
        sku=sku,
        quantity=quantity,
        queue_ticket=queue_ticket,
    )
    remember_cart(request, line.cart)
    return line


# The cart a POST's service has just saved. When the page the POST leads to is drawn in the
# same request (storefront/next_page.py) it starts from that cart instead of reading it again;
# a page requested on its own reads it.
_SAVED_CART = "_storefront_saved_cart"


def keep_saved_cart(request, cart: Cart) -> None:
    setattr(request, _SAVED_CART, cart)


def saved_cart(request) -> Cart | None:
    return getattr(request, _SAVED_CART, None)


# The header's unit count, when the page has read the cart's lines anyway (note_item_count).
_ITEM_COUNT = "_storefront_cart_units"


def note_item_count(request, cart: Cart) -> None:
    """A page that read the open cart's lines (Cart.lines_read) gives the header its count:
    the mini cart then needs no query of its own."""
    if cart.is_open and cart.lines_read is not None:
        setattr(request, _ITEM_COUNT, sum(line.quantity for line in cart.lines_read))


def note_checked_out(request) -> None:
    """The session's cart has just become an order: the header's count is 0, no query."""
    setattr(request, _ITEM_COUNT, 0)


def item_count(request) -> int:
    """Units in the visitor's open cart in this market, for the header: at most one query
    (none for a guest without a cart, or when the page noted the count)."""
    noted = getattr(request, _ITEM_COUNT, None)
    if noted is not None:
        return noted
    market = getattr(request, "market", None)
    if market is None or market.pk is None or not hasattr(request, "session"):
        return 0
    cart_id = _ids(request).get(market.code)
    user = getattr(request, "user", None)
    if cart_id:
        mine = Q(cart__public_id=cart_id)
    elif user is not None and user.is_authenticated:
        latest = (
            Cart.objects.filter(customer_id=user.pk, market_id=market.pk, status=CartStatus.OPEN)
            .order_by("-updated_at", "-pk")
            .values("pk")[:1]
        )
        mine = Q(cart_id=Subquery(latest))
    else:
        return 0  # before building a query: most pages an anonymous shopper sees end here
    lines = CartLine.objects.filter(mine, cart__status=CartStatus.OPEN, cart__market_id=market.pk)
    return lines.aggregate(units=Sum("quantity"))["units"] or 0


def merge_carts_on_login(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: the guest's carts (one per market) join the customer's carts.

    A failure never blocks the login: the guest cart simply stays as it was.
    """
    if request is None or not hasattr(request, "session"):
        return
    merged = {}
    for code, cart_id in _ids(request).items():
        cart = Cart.objects.select_related("market").filter(public_id=cart_id).first()
        if cart is None or not cart.is_open:
            continue
        if cart.customer_id is not None:
            if cart.customer_id == user.pk:
                merged[code] = cart.public_id
            continue  # another customer's cart never follows this session
        try:
            merged[code] = order_services.merge_guest_cart(
                guest_cart=cart, customer=user
            ).public_id
        except DomainError:
            logger.warning("guest cart %s not merged at login", cart_id, exc_info=True)
    request.session[SESSION_CARTS] = merged
