"""`POST /webhooks/wms`: signed absolute counts from a warehouse management system.

The signature (shop.webhooks: `Emporium-Signature: t=<unix>,v1=<hex hmac_sha256(secret,
"<t>.<raw body>")>`) older than WMS_WEBHOOK_TOLERANCE_SECONDS, wrong or malformed is a 400 and
nothing is applied. The body must carry the WMS's `event_id`; the event id and the signature
digest are both recorded with the counts, so a redelivered event or a replayed captured
request is a no-op (`duplicate: true`).
"""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from inventory.api.serializers import WmsLevelsInputSerializer
from inventory.api.views import apply_levels_payload
from shop.webhooks import (
    SIGNATURE_HEADER,
    WEBHOOK_ERRORS,
    read_signed_json,
    sign,
    webhook_error_response,
)

__all__ = ["SIGNATURE_HEADER", "sign", "wms_webhook"]


@csrf_exempt
@require_POST
def wms_webhook(request):
    try:
        signature, payload = read_signed_json(
            request,
            secret=settings.WMS_WEBHOOK_SECRET,
            tolerance=settings.WMS_WEBHOOK_TOLERANCE_SECONDS,
        )
        result = apply_levels_payload(
            payload,
            source="wms",
            signature=signature.digest,
            serializer_class=WmsLevelsInputSerializer,
        )
        return JsonResponse(result)
    except WEBHOOK_ERRORS as exc:
        return webhook_error_response(exc)
