"""`POST /webhooks/wms`: signed absolute counts from a warehouse management system.

The signature (shop.webhooks: `Emporium-Signature: t=<unix>,v1=<hex hmac_sha256(secret,
"<t>.<raw body>")>`) older than WMS_WEBHOOK_TOLERANCE_SECONDS, wrong or malformed is a 400 and
nothing is applied. The body must carry the WMS's `event_id`; the event id and the signature
digest are both recorded with the counts, so a redelivered event or a replayed captured
request is a no-op (`duplicate: true`).
"""

import io

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from inventory.api.serializers import WmsLevelsInputSerializer
from inventory.api.views import apply_levels_payload
from shop.api.errors import exception_handler
from shop.api.parsers import SafeJSONParser
from shop.exceptions import DomainError
from shop.webhooks import SIGNATURE_HEADER, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "sign", "wms_webhook"]


@csrf_exempt
@require_POST
def wms_webhook(request):
    try:
        signature = verify_signature(
            request.headers.get(SIGNATURE_HEADER),
            request.body,
            secret=settings.WMS_WEBHOOK_SECRET,
            tolerance=settings.WMS_WEBHOOK_TOLERANCE_SECONDS,
        )
        # The API's parser: not JSON, too deep, NaN, or text the database cannot store is the
        # API's clear 400, as for the payment gateway's webhook (orders/webhooks.py).
        payload = SafeJSONParser().parse(io.BytesIO(request.body))
        result = apply_levels_payload(
            payload,
            source="wms",
            signature=signature.digest,
            serializer_class=WmsLevelsInputSerializer,
        )
        return JsonResponse(result)
    except (APIException, DomainError) as exc:
        # The API's own handler, so the webhook's errors have the API's shape exactly.
        response = exception_handler(exc, {})
        return JsonResponse(response.data, status=response.status_code)
