"""`POST /webhooks/payments/{gateway}`: signed events from the payment gateway (API.md
"Webhooks"; what each type does: orders.services.gateway_events).

The signature (shop.webhooks: `Emporium-Signature: t=<unix>,v1=<hex hmac_sha256(secret,
"<t>.<raw body>")>`, secret PAYMENT_WEBHOOK_SECRET) older than
PAYMENT_WEBHOOK_TOLERANCE_SECONDS, wrong or malformed is a 400 and nothing is applied. The
gateway's event id keys the order event, so a redelivered event or a replayed captured request
changes nothing and answers `applied: false`. Errors have the API's JSON shape.
"""

import io

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from orders import providers
from orders.services.gateway_events import apply_gateway_event
from shop.api.errors import error_body, exception_handler
from shop.api.parsers import SafeJSONParser
from shop.exceptions import DomainError
from shop.webhooks import SIGNATURE_HEADER, verify_signature


@csrf_exempt
@require_POST
def payment_webhook(request, gateway: str):
    if gateway not in providers.PAYMENT_GATEWAYS:
        return JsonResponse(
            error_body("not_found", f"No payment gateway {gateway!r}."), status=404
        )
    try:
        verify_signature(
            request.headers.get(SIGNATURE_HEADER),
            request.body,
            secret=settings.PAYMENT_WEBHOOK_SECRET,
            tolerance=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
        )
        # The API's parser: not JSON, too deep, NaN, or text the database cannot store (a NUL
        # in an event id would otherwise reach PostgreSQL) is a clear 400.
        event = SafeJSONParser().parse(io.BytesIO(request.body))
        result = apply_gateway_event(gateway=gateway, event=event)
    except (DomainError, APIException) as exc:
        # The API's own handler, so the webhook's errors have the API's shape exactly.
        response = exception_handler(exc, {})
        return JsonResponse(response.data, status=response.status_code)
    order = result.order
    return JsonResponse(
        {
            "applied": result.applied,
            "ignored": result.ignored,
            "order": order.public_id,
            "status": order.status,
            "payment_status": order.payment_status,
        }
    )
