"""Shipments API (API.md "Orders"): create a shipment for an order, ship it, deliver it.

Operations only (`orders.change_order`); for anyone who may not see every order a
shipment does not exist (404). The services check every rule and name each problem:
an unknown carrier is `unknown_carrier`, a tracking number with markup or 10,000
characters `invalid_tracking`, more than is left to ship `invalid_shipment` (all 400);
shipping a cancelled shipment or delivering an unshipped one is 409 `invalid_transition`.
Shipping or delivering again answers 200 with `applied: false` and changes nothing.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.api.common import ORDER_ID, can_operate_orders, errors, require, validated
from orders.api.serializers import ShipmentSerializer, StrictIntegerField
from orders.api.shapes import shipment_data

SHIPMENT_ID = OpenApiParameter(
    "shipment_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="shp_…"
)
ONLY_OPERATIONS = "Only Operations may create, ship or deliver shipments."
# Long enough that a too-long value reaches the service and gets its own error code.
_TEXT = {"required": False, "allow_blank": True, "allow_null": True, "max_length": 20_000}


class ShipmentLineInputSerializer(serializers.Serializer):
    line_id = serializers.CharField(max_length=64, help_text="oli_… of this order")
    quantity = StrictIntegerField(min_value=1, max_value=999)


class ShipmentCreateSerializer(serializers.Serializer):
    lines = ShipmentLineInputSerializer(many=True, allow_empty=False)
    location = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Location code; optional when the lines' units are held at one place.",
    )
    carrier = serializers.CharField(**_TEXT, help_text="Carrier code (ups, usps, fedex, dhl…)")
    tracking_number = serializers.CharField(**_TEXT)
    tracking_url = serializers.CharField(**_TEXT, help_text="https://…; default: the carrier's")


class ShipmentShipSerializer(serializers.Serializer):
    carrier = serializers.CharField(**_TEXT, help_text="Required unless given at creation.")
    tracking_number = serializers.CharField(**_TEXT)
    tracking_url = serializers.CharField(**_TEXT)


class ShipmentDeliverSerializer(serializers.Serializer):
    delivered_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default: now."
    )


class ShipmentResultSerializer(serializers.Serializer):
    applied = serializers.BooleanField(help_text="false: it had shipped/delivered already.")
    shipment = ShipmentSerializer()


def _shipment_response(shipment, **kwargs) -> Response:
    fresh = selectors.get_shipment(public_id=shipment.public_id, user=kwargs.pop("user"))
    return Response(ShipmentSerializer(shipment_data(fresh)).data, **kwargs)


def _result_response(result, user) -> Response:
    fresh = selectors.get_shipment(public_id=result.shipment.public_id, user=user)
    body = {"applied": result.applied, "shipment": shipment_data(fresh)}
    return Response(ShipmentResultSerializer(body).data)


class OrderShipmentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_shipment_create",
        summary="Create a shipment of some of the order's units from one location",
        parameters=[ORDER_ID],
        request=ShipmentCreateSerializer,
        responses={
            201: ShipmentSerializer,
            **errors(
                s400="Unknown line, more than is left to ship, unknown location or carrier, "
                "bad tracking number.",
                s403=ONLY_OPERATIONS,
                s404="No such order.",
                s409="The order cannot ship now (on hold, cancelled…), or the units are held "
                "at another location (re-route them first).",
            ),
        },
    )
    def post(self, request, order_id):
        order = selectors.get_order(public_id=order_id, user=request.user)
        require(can_operate_orders(request.user), ONLY_OPERATIONS)
        data = validated(ShipmentCreateSerializer, request.data)
        shipment = services.create_shipment(
            order=order,
            lines=[dict(line) for line in data["lines"]],
            location=data.get("location") or None,
            carrier=data.get("carrier") or "",
            tracking_number=data.get("tracking_number") or "",
            tracking_url=data.get("tracking_url") or "",
            actor=request.user,
        )
        return _shipment_response(shipment, status=status.HTTP_201_CREATED, user=request.user)


class ShipmentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="shipment_detail",
        summary="One shipment",
        parameters=[SHIPMENT_ID],
        responses={200: ShipmentSerializer, **errors(s404="No such shipment.")},
    )
    def get(self, request, shipment_id):
        shipment = selectors.get_shipment(public_id=shipment_id, user=request.user)
        return Response(ShipmentSerializer(shipment_data(shipment)).data)


class ShipmentShipApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="shipment_ship",
        summary="The shipment left: stock consumed, lines fulfilled, shipped amount captured",
        parameters=[SHIPMENT_ID],
        request=ShipmentShipSerializer,
        responses={
            200: ShipmentResultSerializer,
            **errors(
                s400="Unknown carrier or bad tracking number.",
                s403=ONLY_OPERATIONS,
                s404="No such shipment.",
                s409="Cancelled, or the order cannot ship now (`invalid_transition`).",
            ),
        },
    )
    def post(self, request, shipment_id):
        shipment = selectors.get_shipment(public_id=shipment_id, user=request.user)
        require(can_operate_orders(request.user), ONLY_OPERATIONS)
        data = validated(ShipmentShipSerializer, request.data)
        result = services.ship_shipment(
            shipment=shipment,
            carrier=data.get("carrier") or None,
            tracking_number=data.get("tracking_number") or None,
            tracking_url=data.get("tracking_url") or None,
            actor=request.user,
        )
        return _result_response(result, request.user)


class ShipmentDeliverApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="shipment_deliver",
        summary="The parcel arrived (the return window starts)",
        parameters=[SHIPMENT_ID],
        request=ShipmentDeliverSerializer,
        responses={
            200: ShipmentResultSerializer,
            **errors(
                s400="A delivery date in the future or before it shipped.",
                s403=ONLY_OPERATIONS,
                s404="No such shipment.",
                s409="Not shipped yet, or cancelled (`invalid_transition`).",
            ),
        },
    )
    def post(self, request, shipment_id):
        shipment = selectors.get_shipment(public_id=shipment_id, user=request.user)
        require(can_operate_orders(request.user), ONLY_OPERATIONS)
        data = validated(ShipmentDeliverSerializer, request.data)
        result = services.deliver_shipment(
            shipment=shipment, delivered_at=data.get("delivered_at"), actor=request.user
        )
        return _result_response(result, request.user)
