"""What the cart and order views share: input validation, who may do what, schema texts."""

from __future__ import annotations

import hashlib

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import PermissionDenied

from shop.api.serializers import ErrorSerializer
from shop.idempotency import HEADER, request_owner
from shop.roles import FINANCE

OPERATE_ORDERS = "orders.change_order"

CART_ID = OpenApiParameter(
    "cart_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="cart_…"
)
LINE_ID = OpenApiParameter("line_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="cli_…")
ORDER_ID = OpenApiParameter(
    "order_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="ord_…"
)


class BodyBeforeKeyMixin:
    """Read the body before the Idempotency-Key is checked: a body with a NUL or broken JSON
    is `invalid_text` / `malformed_request` whatever the headers (the boundary rule, also
    for a request without a key); the key's fingerprint reads the body anyway."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _ = request.data


def errors(**descriptions: str) -> dict:
    """extend_schema responses for error statuses: errors(s404="No such cart.")."""
    return {
        int(status.removeprefix("s")): OpenApiResponse(ErrorSerializer, description=text)
        for status, text in descriptions.items()
    }


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def can_operate_orders(user) -> bool:
    """Operations: capture, void, cancel any order, post events."""
    return bool(user and user.is_authenticated and user.has_perm(OPERATE_ORDERS))


def can_refund(user) -> bool:
    """Finance refunds (API.md). A group check, as no permission tells Finance apart: the
    Operations group holds every orders permission."""
    if not (user and user.is_authenticated):
        return False
    return user.is_superuser or user.groups.filter(name=FINANCE).exists()


def require(allowed: bool, detail: str) -> None:
    """403 for someone who may see the object but not do this to it (others got a 404)."""
    if not allowed:
        raise PermissionDenied(detail)


def placement_key(request) -> str:
    """The Order.placement_key for this request's Idempotency-Key.

    Keys belong to their sender (shop.idempotency scopes them per owner), so two customers
    who both send "1" place two orders; a long key is hashed to fit the column.
    """
    key = f"api:{request_owner(request)}:{request.headers[HEADER]}"
    if len(key) <= 255:
        return key
    return f"api:{request_owner(request)}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
