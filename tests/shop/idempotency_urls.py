"""A tiny API write for the Idempotency-Key tests: it counts its executions in a row.

The counter is the US market's `position` (a seeded row), raised with F() so concurrent
executions each count. `GATE`, when set up by a test, holds the view mid-flight.
"""

import threading

from django.db.models import F
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.exceptions import Conflict
from shop.idempotency import idempotent
from shop.models import Market

ENTERED = threading.Event()
GATE: dict[str, threading.Event] = {}


def executions() -> int:
    return Market.objects.get(code="US").position


class CountApi(APIView):
    permission_classes = [AllowAny]

    @idempotent(scope="tests.count")
    def post(self, request):
        Market.objects.filter(code="US").update(position=F("position") + 1)
        ENTERED.set()
        if "gate" in GATE:
            GATE["gate"].wait(30)
        outcome = request.data.get("outcome", "created")
        if outcome == "refused":
            raise Conflict("Refused by the rule under test.")
        if outcome == "server_error":
            return Response({"code": "server_error", "detail": "Broke."}, status=503)
        return Response(
            {"count": executions(), "echo": request.data.get("echo")},
            status=201,
            headers={"Location": "/things/1", "X-Trace": "first"},
        )


class OptionalApi(APIView):
    permission_classes = [AllowAny]

    @idempotent(scope="tests.optional", required=False)
    def post(self, request):
        Market.objects.filter(code="US").update(position=F("position") + 1)
        return Response({"count": executions()})


urlpatterns = [
    path("test/count", CountApi.as_view()),
    path("test/optional", OptionalApi.as_view()),
]
