"""Orders and payments API (API.md "Orders"): one APIView per operation; carts are in
orders.api.cart_views.

Who sees what: an order is visible to its customer and to staff with `orders.view_order`;
for anyone else it does not exist (404, never 403). Guest orders have no API account: their
buyer follows the order's signed storefront link (`order_url`, also in the 201 and the 402).
Acting on a visible order needs more: events, capture and void need Operations
(`orders.change_order`), a refund needs the Finance group; a customer may cancel their own
order before anything shipped and retry the payment of their payment_failed order.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import conf, selectors, services, switches
from orders.api import serializers as s
from orders.api.cancel_serializers import OrderCancelRequestSerializer
from orders.api.common import (
    ORDER_ID,
    BodyBeforeKeyMixin,
    can_operate_orders,
    can_refund,
    errors,
    placement_key,
    require,
    validated,
)
from orders.api.shapes import order_data
from orders.exceptions import CartNotOpen, CheckoutDisabled
from orders.links import order_url
from orders.models import Order, OrderStatus
from orders.services.events import EventType
from shop.api.errors import error_body
from shop.api.pagination import StandardPagination
from shop.api.serializers import ErrorSerializer
from shop.auth import client_ip
from shop.exceptions import ValidationFailed
from shop.idempotency import KEY_PARAMETER, idempotent

ORDER_404 = "No such order, or not yours."
DECLINED_402 = OpenApiResponse(
    ErrorSerializer,
    description="The card was declined (`payment_declined`): the order exists as "
    "`payment_failed` with its stock released; `order_id`, `decline_code` and `order_url` "
    "say which. Retry with POST /payments `authorize` and another card.",
)
GATEWAY_502 = "The payment provider refused or did not answer (`payment_failed`); retry."


def _order_response(order: Order, **kwargs) -> Response:
    # order_data builds exactly OrderSerializer's (documented) shape: it goes to the renderer
    # as it is (tests/orders/test_api_shapes.py keeps the two equal).
    return Response(order_data(order), **kwargs)


def _declined_response(order: Order) -> Response:
    declines = [e for e in order.events.all() if e.type == EventType.PAYMENT_DECLINED]
    decline_code = declines[-1].payload.get("decline_code", "") if declines else ""
    body = error_body(
        "payment_declined",
        f"The card was declined; order {order.reference} awaits another payment.",
    )
    body.update(
        order_id=order.public_id,
        status=order.status,
        decline_code=decline_code,
        order_url=order_url(order),
    )
    return Response(body, status=status.HTTP_402_PAYMENT_REQUIRED)


class OrderCollectionPermission(BasePermission):
    """Anyone may place an order (with a cart id); listing needs an account."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return True


class OrderListApi(APIView):
    permission_classes = [OrderCollectionPermission]

    @extend_schema(
        operation_id="order_list",
        summary="Your orders (staff with the orders view permission: every order)",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=OrderStatus.values),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="At most 100."),
        ],
        responses={
            200: s.OrderListPageSerializer,
            **errors(s400="Unknown status.", s404="No such page."),
        },
    )
    def get(self, request):
        query = validated(s.OrderListQuerySerializer, request.query_params)
        orders = selectors.list_orders(user=request.user, status=query.get("status"))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        results = s.OrderSerializer([order_data(o) for o in page], many=True).data
        return paginator.get_paginated_response(results)


class OrderCreateApi(BodyBeforeKeyMixin, APIView):
    permission_classes = [OrderCollectionPermission]

    @extend_schema(
        operation_id="order_create",
        summary="Place an order from a cart and authorize its payment",
        description="In this order: validate, reprice, promotions, shipping, tax, reserve "
        "stock (all or nothing), create the order, authorize. 201: `placed`, or "
        "`pending_payment` when the gateway did not answer (reconciliation settles it). "
        "Idempotent: the same key and body answer the first result again "
        "(`Idempotent-Replayed: true`).",
        parameters=[KEY_PARAMETER],
        request=s.OrderCreateSerializer,
        responses={
            201: s.OrderSerializer,
            402: DECLINED_402,
            **errors(
                s400="Invalid body or Idempotency-Key (`idempotency_key_required`, "
                "`idempotency_key_invalid`), an empty cart (`cart_empty`), missing checkout "
                "details (`checkout_incomplete`), a SKU no longer for sale "
                "(`variant_unavailable`) or a method that does not ship there.",
                s404="No such cart (or it belongs to another customer).",
                s409="Out of stock (`insufficient_stock`, `lines[{sku, requested, "
                "available}]`, nothing reserved), prices changed since the lines were added "
                "(`price_changed`, `changes`; accept with POST /carts/{id}/reprice), the cart "
                "was already ordered (`cart_not_open`, `order_id`), or the same key is still "
                "running (`request_in_progress`, Retry-After).",
                s422="The Idempotency-Key was used for another request "
                "(`idempotency_key_reused`).",
                s503="Checkout is switched off (`checkout_disabled`), or tax cannot be "
                "calculated (`tax_unavailable`): nothing was placed.",
            ),
        },
    )
    @idempotent(scope="orders.create")
    def post(self, request):
        data = validated(s.OrderCreateSerializer, request.data)
        if not conf.checkout_enabled():
            raise CheckoutDisabled()
        cart = selectors.get_cart(public_id=data["cart"], user=request.user)
        try:
            order = services.place_order(
                cart=cart,
                payment_token=data["payment"]["token"],
                customer=request.user,
                idempotency_key=placement_key(request),
                actor=request.user,
                client_ip=client_ip(request),
            )
        except CartNotOpen as exc:
            _name_the_order(exc, cart)
            raise
        # place_order hands back the order as its last transaction left it (locked, then
        # changed): only its lines and events are still to read.
        order = selectors.with_lines_and_events(order)
        if order.status == OrderStatus.PAYMENT_FAILED:
            return _declined_response(order)
        response = _order_response(order, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/orders/{order.public_id}"
        return response


def _name_the_order(exc: CartNotOpen, cart) -> None:
    # A cart converted while this request waited for its lock comes back without its order
    # (the locked re-read sees the cart's new state, not the order row committed with it):
    # API.md promises the client the order's id, so it is looked up here.
    if exc.order_id is None:
        exc.order_id = exc.extra["order_id"] = (
            Order.objects.filter(cart_id=cart.pk).values_list("public_id", flat=True).first()
        )


# GET lists, POST places: /api/v1/orders.
class OrderCollectionApi(OrderListApi, OrderCreateApi):
    pass


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_detail",
        summary="One order with its lines and timeline",
        parameters=[ORDER_ID],
        responses={200: s.OrderSerializer, **errors(s404=ORDER_404)},
    )
    def get(self, request, order_id):
        return _order_response(selectors.get_order(public_id=order_id, user=request.user))


class OrderEventCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_event_create",
        summary="Apply an external event (payment, shipment, fraud, chargeback…)",
        description="Keyed by `event_id`: sending it again changes nothing and answers "
        "`applied: false` with the order as it is now.",
        parameters=[ORDER_ID],
        request=s.OrderEventCreateSerializer,
        responses={
            200: s.OrderEventResultSerializer,
            **errors(
                s400="Invalid event, type or payload.",
                s403="Only Operations and integrations with the orders change permission.",
                s404=ORDER_404,
                s409="Not allowed from the order's current state (`invalid_transition`), "
                "or the event_id was used for another type (`event_id_reused`).",
            ),
        },
    )
    def post(self, request, order_id):
        order = selectors.get_order(public_id=order_id, user=request.user)
        require(can_operate_orders(request.user), "Only Operations may post order events.")
        data = validated(s.OrderEventCreateSerializer, request.data)
        result = services.apply_order_event(
            order=order,
            event_id=data["event_id"],
            type=data["type"],
            payload=data["payload"],
            actor=request.user,
        )
        order = selectors.refresh_order(result.order)
        body = {"applied": result.applied, "order": order_data(order)}
        return Response(s.OrderEventResultSerializer(body).data)


class OrderCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_cancel",
        summary="Cancel an order, or (Operations) some of its lines",
        description="The customer, while nothing has shipped; Operations, what has not shipped "
        "(the whole order, or `lines`). Releases the stock, voids an untouched authorization "
        "or refunds what the cancelled units are worth (docs/orders.md), e-mails the customer.",
        parameters=[ORDER_ID],
        request=OrderCancelRequestSerializer,
        responses={
            200: s.OrderSerializer,
            **errors(
                s403="Only the order's customer or Operations may cancel it; only Operations "
                "cancel single lines.",
                s404=ORDER_404,
                s409="Too late: shipped, delivered or already cancelled (`invalid_transition`), "
                "or fewer units left to cancel (`line_not_cancellable`).",
                s502=GATEWAY_502,
            ),
        },
    )
    def post(self, request, order_id):
        order = selectors.get_order(public_id=order_id, user=request.user)
        is_owner = order.customer_id == request.user.pk
        is_operations = can_operate_orders(request.user)
        require(
            is_owner or is_operations,
            "Only the order's customer or Operations may cancel it.",
        )
        data = validated(OrderCancelRequestSerializer, request.data)
        reason = data.get("reason") or ("customer" if not is_operations else "staff")
        if data.get("lines"):
            require(is_operations, "Only Operations may cancel single lines.")
            order = services.cancel_order_lines(
                order=order, lines=data["lines"], actor=request.user, reason=reason
            )
        else:
            order = services.cancel_order(
                order=order, actor=request.user, reason=reason, by_customer=not is_operations
            )
        return _order_response(selectors.refresh_order(order))


class PaymentCreateApi(BodyBeforeKeyMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="payment_create",
        summary="Authorize again, capture, void or refund an order's payment",
        description="`authorize`: the order's customer (or Operations) retries a "
        "`payment_failed` order with a new card `token`. `capture`, `void`: Operations. "
        "`refund`: Finance. Idempotent like POST /orders. Answers the order.",
        parameters=[KEY_PARAMETER],
        request=s.PaymentCreateSerializer,
        responses={
            200: s.OrderSerializer,
            402: DECLINED_402,
            **errors(
                s400="Invalid body, amount or Idempotency-Key.",
                s403="Not allowed to do that to this order.",
                s404=ORDER_404,
                s409="Not allowed in the order's state (`invalid_transition`), stock gone "
                "for a retry (`insufficient_stock`), or the same key is still running.",
                s502=GATEWAY_502,
                s503="Checkout is switched off (`checkout_disabled`, authorize only).",
            ),
        },
    )
    @idempotent(scope="payments.create")
    def post(self, request):
        data = validated(s.PaymentCreateSerializer, request.data)
        order = selectors.get_order(public_id=data["order"], user=request.user)
        action, user = data["action"], request.user
        amount = _amount(order, data.get("amount"))
        if action == "authorize":
            require(
                order.customer_id == user.pk or can_operate_orders(user),
                "Only the order's customer may pay for it.",
            )
            if not conf.checkout_enabled(order.market):
                raise CheckoutDisabled()
            switches.refuse_switched_off_payment("card")
            order = services.retry_payment(order=order, payment_token=data["token"], actor=user)
        elif action in ("capture", "void"):
            require(can_operate_orders(user), f"Only Operations may {action} payments.")
            if action == "capture":
                order = services.capture_payment(order=order, amount_cents=amount, actor=user)
            else:
                order = services.void_payment(order=order, actor=user)
        else:
            require(can_refund(user), "Only Finance may refund payments.")
            left = order.captured_cents - order.refunded_total_cents
            order = services.refund_payment(
                order=order, amount_cents=left if amount is None else amount, actor=user
            )
        order = selectors.refresh_order(order)
        if action == "authorize" and order.status == OrderStatus.PAYMENT_FAILED:
            return _declined_response(order)
        return _order_response(order)


def _amount(order: Order, value) -> int | None:
    if value is None:
        return None
    cents, currency = value
    if currency is not None and currency != order.currency:
        raise ValidationFailed(
            f"The order is in {order.currency}.",
            fields={"amount": [f"Give the amount in {order.currency}."]},
        )
    return cents
