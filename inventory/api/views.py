"""Staff inventory API: ATP reads, adjustments and WMS counts. Views parse and call services."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import selectors, services
from inventory.api.serializers import (
    AdjustmentInputSerializer,
    AtpQuerySerializer,
    AtpSerializer,
    LevelsInputSerializer,
    LevelsResultSerializer,
    MovementSerializer,
)
from inventory.services._common import resolve_variants


class _StaffPermission(BasePermission):
    perm = ""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm(self.perm))


class CanViewStock(_StaffPermission):
    perm = "inventory.view_stocklevel"


class CanAdjustStock(_StaffPermission):
    perm = "inventory.adjust_stock"


class CanSyncStock(_StaffPermission):
    perm = "inventory.sync_stock"


class InventoryAtpApi(APIView):
    """ATP of one SKU, in total and per location (staff)."""

    permission_classes = [CanViewStock]

    @extend_schema(
        parameters=[
            OpenApiParameter("sku", str, required=True),
            OpenApiParameter("location", str, many=True),
        ],
        responses=AtpSerializer,
    )
    def get(self, request):
        query = AtpQuerySerializer(
            data={"sku": request.query_params.get("sku"), **_locations(request)}
        )
        query.is_valid(raise_exception=True)
        sku = query.validated_data["sku"]
        variant = resolve_variants([sku])[sku]
        codes = query.validated_data.get("location")
        locations = selectors.list_locations(codes=codes) if codes else None
        total, levels = selectors.get_atp(variant=variant, locations=locations)
        return Response(AtpSerializer({"sku": sku, "atp": total, "locations": levels}).data)


def _locations(request) -> dict:
    codes = request.query_params.getlist("location")
    return {"location": codes} if codes else {}


class InventoryAdjustmentCreateApi(APIView):
    """Change on_hand by `delta` with a reason; returns the ledger entry (Operations)."""

    permission_classes = [CanAdjustStock]

    @extend_schema(request=AdjustmentInputSerializer, responses={201: MovementSerializer})
    def post(self, request):
        data = AdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        movement = services.adjust_stock(
            variant=data.validated_data["sku"],
            location=selectors.get_location(code=data.validated_data["location"]),
            delta=data.validated_data["delta"],
            reason=data.validated_data["reason"],
            reference=data.validated_data["reference"],
            actor=request.user,
        )
        return Response(MovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class InventoryLevelsSyncApi(APIView):
    """Absolute counts from a WMS at one location; counts older than the stored one are ignored."""

    permission_classes = [CanSyncStock]

    @extend_schema(request=LevelsInputSerializer, responses=LevelsResultSerializer)
    def put(self, request):
        return Response(apply_levels_payload(request.data, actor=request.user, source="api"))


def apply_levels_payload(
    payload,
    *,
    actor=None,
    source: str,
    signature: str | None = None,
    serializer_class=LevelsInputSerializer,
) -> dict:
    """Validate a levels payload (API or webhook) and apply it through the service.

    `signature`: the digest of the signed request that carried it (webhook), recorded so the
    same request is never applied twice.
    """
    data = serializer_class(data=payload)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    result = services.sync_stock_levels(
        location=selectors.get_location(code=values["location"]),
        as_of=values["as_of"],
        items=[(item["sku"], item["on_hand"]) for item in values["items"]],
        source=source,
        actor=actor,
        event_id=values.get("event_id"),
        signature=signature,
    )
    return LevelsResultSerializer(
        {
            "location": values["location"],
            "as_of": values["as_of"],
            "applied": result.applied,
            "ignored": result.ignored,
            "duplicate": result.duplicate,
        }
    ).data
