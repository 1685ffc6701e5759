"""`POST /webhooks/wms`: signed absolute counts from a warehouse management system.

Header `Emporium-Signature: t=<unix>,v1=<hex hmac_sha256(secret, "<t>.<raw body>")>`; a
signature older than WMS_WEBHOOK_TOLERANCE_SECONDS or wrong is a 400 and nothing is applied.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from inventory.api.views import apply_levels_payload
from inventory.exceptions import InvalidSignature
from shop.api.errors import error_body, exception_handler
from shop.exceptions import DomainError

SIGNATURE_HEADER = "Emporium-Signature"


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """The signature header value for `body` (what a WMS sends; used by tests too)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify_signature(header: str, body: bytes, *, secret: str, tolerance: int) -> None:
    """Raise InvalidSignature unless `header` signs `body` with `secret` recently enough."""
    if not secret:
        raise InvalidSignature("The WMS webhook secret is not configured.")
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise InvalidSignature("The signature header is malformed.") from None
    if abs(time.time() - timestamp) > tolerance:
        raise InvalidSignature("The signature is too old.")
    expected = sign(body, secret=secret, timestamp=timestamp).split("v1=", 1)[1]
    # Compare bytes: compare_digest raises TypeError on a str with non-ASCII characters, and a
    # header is whatever the sender put there.
    given = parts.get("v1", "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected.encode(), given):
        raise InvalidSignature("The signature does not match.")


@csrf_exempt
@require_POST
def wms_webhook(request):
    try:
        verify_signature(
            request.headers.get(SIGNATURE_HEADER, ""),
            request.body,
            secret=settings.WMS_WEBHOOK_SECRET,
            tolerance=settings.WMS_WEBHOOK_TOLERANCE_SECONDS,
        )
        try:
            payload = json.loads(request.body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return JsonResponse(error_body("malformed_request", "Body is not JSON."), status=400)
        return JsonResponse(apply_levels_payload(payload, source="wms"))
    except (ValidationError, DomainError) as exc:
        # The API's own handler, so the webhook's errors have the API's shape exactly.
        response = exception_handler(exc, {})
        return JsonResponse(response.data, status=response.status_code)
