"""Cart and checkout API (API.md "Cart and checkout"): one APIView per operation.

A cart id is a capability: anyone holding a guest cart's id may read and change it; a
customer's cart is theirs alone (404 for anyone else, as place_order insists). Every answer
is the whole cart, priced on today's prices (orders.api.shapes).
"""

from __future__ import annotations

from contextlib import contextmanager

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.exceptions import InsufficientStock
from orders import selectors, services
from orders.api import serializers as s
from orders.api.common import CART_ID, LINE_ID, errors, validated
from orders.api.shapes import cart_data
from orders.services.coupons import apply_cart_coupon, remove_cart_coupon
from shop import selectors as shop_selectors
from shop.exceptions import ValidationFailed

CART_404 = "No such cart (or it belongs to another customer)."
NOT_OPEN = "The cart was already checked out (`cart_not_open`, `order_id` names the order)"
TAX_503 = "Tax cannot be calculated for the address right now (`tax_unavailable`); retry."


def _cart_response(cart, **kwargs) -> Response:
    """The cart as the answer. `cart` is the one the view read (or a service returned): the
    lines are priced fresh, so a line the service just changed is in the answer.

    cart_data builds exactly CartSerializer's shape (the OpenAPI document's), so the dict
    goes to the renderer as it is: running it through the serializer's fields cost about a
    tenth of each cart call. tests/orders/test_api_shapes.py keeps the two equal."""
    return Response(cart_data(cart), **kwargs)


class CartCreateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_create",
        summary="Open an empty cart in a market",
        description="Signed in, the cart is yours alone; anonymous, whoever holds its id "
        "may use it.",
        request=s.CartCreateSerializer,
        responses={201: s.CartSerializer, **errors(s400="Unknown market or channel.")},
    )
    def post(self, request):
        data = validated(s.CartCreateSerializer, request.data)
        market = shop_selectors.find_market(data["market"])
        channel = shop_selectors.find_open_channel(data["channel"])
        problems = {}
        if market is None:
            problems["market"] = [f"Unknown market {data['market']!r}."]
        if channel is None:
            problems["channel"] = [f"Channel {data['channel']!r} is not open."]
        if problems:
            raise ValidationFailed(next(iter(problems.values()))[0], fields=problems)
        cart = services.create_cart(market=market, channel=channel, customer=request.user)
        response = _cart_response(cart, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/carts/{cart.public_id}"
        return response


class CartDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_detail",
        summary="The cart, priced now",
        parameters=[CART_ID],
        responses={200: s.CartSerializer, **errors(s404=CART_404, s503=TAX_503)},
    )
    def get(self, request, cart_id):
        return _cart_response(selectors.get_cart(public_id=cart_id, user=request.user))


class CartLineCreateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_line_create",
        summary="Add a quantity of a SKU (to its line, if the cart has one)",
        description="The unit price is captured now. Products reserved at add-to-cart hold "
        "the units for a while.",
        parameters=[CART_ID],
        request=s.CartLineCreateSerializer,
        responses={
            201: s.CartSerializer,
            **errors(
                s400="Unknown or inactive SKU (`variant_unavailable`), or a quantity that is "
                "not a whole number from 1 to 999 (also in total on the line).",
                s404=CART_404,
                s409="More than is available (`insufficient_stock`, with `available`), or "
                f"{NOT_OPEN}. Drop mode: `sold_out` (no units left for this buyer) or "
                "`drop_not_started` (with `starts_at`).",
                s422="Drop mode: over the variant's purchase limit (`purchase_limit_exceeded`, "
                "with `limit`, `scope` order|customer and `allowed`).",
                s429="Drop mode: too many buyers at once (`drop_busy`, with `position` in the "
                "waiting line, kept for this cart); try again after `Retry-After` seconds.",
            ),
        },
    )
    def post(self, request, cart_id):
        data = validated(s.CartLineCreateSerializer, request.data)
        cart = selectors.get_cart(public_id=cart_id, user=request.user)
        with _available_on_refusal():
            services.add_cart_line(cart=cart, sku=data["sku"], quantity=data["quantity"])
        return _cart_response(cart, status=status.HTTP_201_CREATED)


@contextmanager
def _available_on_refusal():
    """Add API.md's `available` (units that can still be had) to an insufficient_stock."""
    try:
        yield
    except InsufficientStock as exc:
        if exc.lines:
            exc.extra.setdefault("available", exc.lines[0]["available"])
        raise


class CartLineUpdateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_line_update",
        summary="Set a line's quantity",
        parameters=[CART_ID, LINE_ID],
        request=s.CartLineUpdateSerializer,
        responses={
            200: s.CartSerializer,
            **errors(
                s400="A quantity that is not a whole number from 1 to 999.",
                s404="No such cart or line.",
                s409=f"More than is available (`insufficient_stock`), or {NOT_OPEN}.",
            ),
        },
    )
    def patch(self, request, cart_id, line_id):
        data = validated(s.CartLineUpdateSerializer, request.data)
        cart = selectors.get_cart(public_id=cart_id, user=request.user)
        with _available_on_refusal():
            services.change_cart_line_quantity(
                cart=cart, line_id=line_id, quantity=data["quantity"]
            )
        return _cart_response(cart)


class CartLineDeleteApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_line_delete",
        summary="Remove a line",
        parameters=[CART_ID, LINE_ID],
        request=None,
        responses={
            200: s.CartSerializer,
            **errors(s404="No such cart or line.", s409=f"{NOT_OPEN}."),
        },
    )
    def delete(self, request, cart_id, line_id):
        cart = selectors.get_cart(public_id=cart_id, user=request.user)
        services.remove_cart_line(cart=cart, line_id=line_id)
        return _cart_response(cart)


# PATCH changes, DELETE removes: /api/v1/carts/{cart_id}/lines/{line_id}.
class CartLineApi(CartLineUpdateApi, CartLineDeleteApi):
    pass


class CartCouponCreateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_coupon_create",
        summary="Apply a coupon code",
        description="Codes are case-insensitive; a cart may carry several, each evaluated "
        "under the stacking rules (docs/promotions.md).",
        parameters=[CART_ID],
        request=s.CouponSerializer,
        responses={
            200: s.CartSerializer,
            **errors(
                s404=CART_404,
                s409=f"{NOT_OPEN}.",
                s422="`coupon_invalid`, `coupon_expired`, `coupon_exhausted` or "
                "`coupon_not_eligible`.",
            ),
        },
    )
    def post(self, request, cart_id):
        data = validated(s.CouponSerializer, request.data)
        cart = selectors.get_cart(public_id=cart_id, user=request.user)
        apply_cart_coupon(cart=cart, code=data["code"])
        # The coupon list is the cart's own field: read the cart as the service left it.
        return _cart_response(selectors.get_cart(public_id=cart_id, user=request.user))


class CartCouponDeleteApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_coupon_delete",
        summary="Remove a coupon code (a code not on the cart changes nothing)",
        parameters=[CART_ID],
        request=None,
        responses={200: s.CartSerializer, **errors(s404=CART_404, s409=f"{NOT_OPEN}.")},
    )
    def delete(self, request, cart_id, code):
        cart = selectors.get_cart(public_id=cart_id, user=request.user)
        remove_cart_coupon(cart=cart, code=code)
        # The coupon list is the cart's own field: read the cart as the service left it.
        return _cart_response(selectors.get_cart(public_id=cart_id, user=request.user))


class CartCheckoutApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_checkout_update",
        summary="Set the e-mail, shipping address and (optionally) shipping method",
        description="All or nothing: every problem of the e-mail and the address is named "
        "in `fields` (`shipping_address.postal_code`…). The answer lists the `shipping_rates` "
        "for the address and the `tax_total`.",
        parameters=[CART_ID],
        request=s.CheckoutSerializer,
        responses={
            200: s.CartSerializer,
            **errors(
                s400="Invalid e-mail or address (`checkout_incomplete`), or a shipping method "
                "that does not ship there (`invalid_shipping_method`).",
                s404=CART_404,
                s409=f"{NOT_OPEN}.",
                s503=TAX_503,
            ),
        },
    )
    def put(self, request, cart_id):
        data = validated(s.CheckoutSerializer, request.data)
        cart = selectors.get_cart(public_id=cart_id, user=request.user)
        cart = services.update_checkout(
            cart=cart,
            email=data["email"],
            shipping_address=data["shipping_address"],
            shipping_method=data.get("shipping_method"),
        )
        return _cart_response(cart)


class CartRepriceApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="cart_reprice",
        summary="Accept today's prices for the cart's lines",
        description="After a `price_changed` refusal (or `price_changes` on the cart): the "
        "lines take today's prices, so the next POST /orders pays what the cart now shows.",
        parameters=[CART_ID],
        request=None,
        responses={200: s.CartSerializer, **errors(s404=CART_404, s409=f"{NOT_OPEN}.")},
    )
    def post(self, request, cart_id):
        cart = selectors.get_cart(public_id=cart_id, user=request.user)
        services.reprice_cart(cart=cart)
        return _cart_response(cart)
