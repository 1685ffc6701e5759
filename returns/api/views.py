"""Returns API (API.md "Returns").

Customers create and read their own RMAs (anyone else's is 404, never 403). Staff with
`returns.view_returnrequest` read all; Operations (`returns.change_returnrequest`) approve,
reject, receive and inspect; Finance (`returns.refund_returnrequest`) refunds. Every rule
lives in returns.services; refusals come back in the JSON error shape.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors as order_selectors
from orders.api.common import errors, require, validated
from returns import labels, selectors, services
from returns.api import serializers as s
from returns.api.shapes import return_data
from returns.exceptions import ReturnNotFound
from shop.api.pagination import StandardPagination

RMA_ID = OpenApiParameter("rma_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="rma_…")
OPERATE = "returns.change_returnrequest"
REFUND = "returns.refund_returnrequest"
ONLY_OPERATIONS = "Only Operations may approve, reject, receive or inspect returns."
ONLY_FINANCE = "Only Finance may refund returns."


def _answer(rma, user, **kwargs) -> Response:
    fresh = selectors.get_return(public_id=rma.public_id, user=user)
    return Response(s.ReturnSerializer(return_data(fresh)).data, **kwargs)


class ReturnCollectionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="return_list",
        summary="Your returns (staff: all, ?status=)",
        responses={200: s.ReturnSerializer(many=True)},
    )
    def get(self, request):
        rmas = selectors.list_returns(user=request.user, status=request.query_params.get("status"))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rmas, request, view=self)
        results = s.ReturnSerializer([return_data(rma) for rma in page], many=True).data
        return paginator.get_paginated_response(results)

    @extend_schema(
        operation_id="return_create",
        summary="Ask to return units of a delivered order",
        request=s.ReturnCreateSerializer,
        responses={
            201: s.ReturnSerializer,
            **errors(
                s400="Unknown line, quantity below 1, unknown reason.",
                s404="No such order (or not yours).",
                s422="return_window_expired, not_returnable, quantity_exceeds_returnable, "
                "order_not_returnable (not delivered, cancelled).",
            ),
        },
    )
    def post(self, request):
        data = validated(s.ReturnCreateSerializer, request.data)
        order = order_selectors.get_order(public_id=data["order"], user=request.user)
        if order.customer_id != request.user.pk and not request.user.has_perm(OPERATE):
            raise ReturnNotFound("No such order.", code="order_not_found")
        rma = services.request_return(
            order=order,
            lines=[dict(line) for line in data["lines"]],
            actor=request.user,
            note=data.get("note", ""),
        )
        return _answer(rma, request.user, status=status.HTTP_201_CREATED)


class ReturnDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="return_detail",
        summary="One return (its customer or staff)",
        parameters=[RMA_ID],
        responses={200: s.ReturnSerializer, **errors(s404="No such return.")},
    )
    def get(self, request, rma_id):
        return _answer(selectors.get_return(public_id=rma_id, user=request.user), request.user)


class ReturnLabelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="return_label",
        summary="The printable return label (PDF) of an approved return",
        parameters=[RMA_ID],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **errors(s404="No such return, or no label yet."),
        },
    )
    def get(self, request, rma_id):
        rma = selectors.get_return(public_id=rma_id, user=request.user)
        if not rma.label_tracking_number:
            raise ReturnNotFound("This return has no label yet.", code="label_not_found")
        pdf = labels.label_provider().render_pdf(rma=rma)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="return-{rma.reference}.pdf"'
        return response


def _action(name, serializer, permission, denied, summary, call):
    """A POST /returns/{id}/<name> view: load (404), check the permission (403), call."""

    class ActionApi(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(
            operation_id=f"return_{name}",
            summary=summary,
            parameters=[RMA_ID],
            request=serializer,
            responses={
                200: s.ReturnSerializer,
                **errors(
                    s400="Invalid input.",
                    s403=denied,
                    s404="No such return.",
                    s409="Not allowed in the return's current status (invalid_transition), "
                    "or a refund is being issued (refund_in_progress).",
                    s502="The payment gateway refused or did not answer (refund): retry.",
                ),
            },
        )
        def post(self, request, rma_id):
            rma = selectors.get_return(public_id=rma_id, user=request.user)
            require(request.user.has_perm(permission), denied)
            data = validated(serializer, request.data) if serializer else {}
            return _answer(call(rma, request.user, data), request.user)

    ActionApi.__name__ = ActionApi.__qualname__ = f"Return{name.title()}Api"
    return ActionApi


ReturnApproveApi = _action(
    "approve",
    s.DecisionSerializer,
    OPERATE,
    ONLY_OPERATIONS,
    "Approve (issues the label)",
    lambda rma, user, d: services.approve_return(
        rma=rma, actor=user, message=d.get("message", "")
    ),
)
ReturnRejectApi = _action(
    "reject",
    s.DecisionSerializer,
    OPERATE,
    ONLY_OPERATIONS,
    "Reject, with a message",
    lambda rma, user, d: services.reject_return(rma=rma, actor=user, message=d.get("message", "")),
)
ReturnReceiveApi = _action(
    "receive",
    s.ReceiveSerializer,
    OPERATE,
    ONLY_OPERATIONS,
    "Record what arrived",
    lambda rma, user, d: services.receive_return(
        rma=rma,
        actor=user,
        lines=[dict(line) for line in d["lines"]] if "lines" in d else None,
        note=d.get("note", ""),
    ),
)
ReturnInspectApi = _action(
    "inspect",
    s.InspectSerializer,
    OPERATE,
    ONLY_OPERATIONS,
    "Disposition per line: resell, refurbish or scrap (stock moves)",
    lambda rma, user, d: services.inspect_return(
        rma=rma, actor=user, lines=[dict(line) for line in d["lines"]], note=d.get("note", "")
    ),
)
ReturnRefundApi = _action(
    "refund",
    None,
    REFUND,
    ONLY_FINANCE,
    "Refund what the breakdown says (once)",
    lambda rma, user, d: services.refund_return(rma=rma, actor=user),
)
