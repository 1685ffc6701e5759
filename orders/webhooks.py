"""`POST /webhooks/payments/{gateway}`: signed events from the payment gateway (API.md
"Webhooks"; what each type does: orders.services.gateway_events).

The signature (shop.webhooks: `Emporium-Signature: t=<unix>,v1=<hex hmac_sha256(secret,
"<t>.<raw body>")>`, secret PAYMENT_WEBHOOK_SECRET) older than
PAYMENT_WEBHOOK_TOLERANCE_SECONDS, wrong or malformed is a 400 and nothing is applied. The
gateway's event id keys the order event, so a redelivered event or a replayed captured request
changes nothing and answers `applied: false`. Errors have the API's JSON shape.
"""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders import providers
from orders.services.gateway_events import apply_gateway_event
from shop.api.errors import error_body
from shop.webhooks import WEBHOOK_ERRORS, read_signed_json, webhook_error_response


@csrf_exempt
@require_POST
def payment_webhook(request, gateway: str):
    if gateway not in providers.PAYMENT_GATEWAYS:
        return JsonResponse(error_body("not_found", "No such payment gateway."), status=404)
    try:
        _, event = read_signed_json(
            request,
            secret=settings.PAYMENT_WEBHOOK_SECRET,
            tolerance=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
        )
        result = apply_gateway_event(gateway=gateway, event=event)
    except WEBHOOK_ERRORS as exc:
        return webhook_error_response(exc)
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
