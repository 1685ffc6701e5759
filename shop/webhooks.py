"""Signed webhooks that cannot be replayed: the WMS's stock counts (inventory/webhooks.py) and
the payment gateway's events (orders/webhooks.py) (API.md "Webhooks").

Header `Emporium-Signature: t=<unix seconds>,v1=<hex hmac_sha256(secret, "<t>.<raw body>")>`.
`verify_signature` parses it with a strict pattern (t: 1-12 digits, v1: 64 hex digits), so a
header such as `t=<400 nines>` is a 400 like any other malformed one, and refuses a signature
more than `tolerance` seconds (300) away from now. A captured request stays valid for those
300 s, so every receiver also records what it applied with `record_webhook_once`: the
provider's event id, and the signature digest (an identical request always has the same one).
"""

import hashlib
import hmac
import io
import re
import time
from dataclasses import dataclass

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import JsonResponse
from rest_framework.exceptions import APIException

from shop.api.errors import exception_handler
from shop.api.parsers import SafeJSONParser
from shop.exceptions import DomainError
from shop.models import ProcessedWebhook

SIGNATURE_HEADER = "Emporium-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
SOURCE_MAX_LENGTH = ProcessedWebhook._meta.get_field("source").max_length
KEY_MAX_LENGTH = ProcessedWebhook._meta.get_field("event_key").max_length
_SIGNATURE = re.compile(r"t=(?P<t>[0-9]{1,12}),v1=(?P<v1>[0-9a-fA-F]{64})")


class InvalidSignature(DomainError):
    """The webhook signature is missing, wrong or too old."""

    code = "invalid_signature"
    status_code = 400


@dataclass(frozen=True)
class Signature:
    timestamp: int
    digest: str  # the v1 hex digest, lower case: identical requests have identical digests


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """The signature header value for `body` (what a sender puts in the header; tests too)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(body, secret=secret, timestamp=t)}"


def _digest(body: bytes, *, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(
    header: str | None,
    body: bytes,
    *,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> Signature:
    """The verified signature of `body`; raises InvalidSignature (a 400) unless `header`
    signs it with `secret` within `tolerance` seconds of now."""
    if not secret:
        raise InvalidSignature("The webhook secret is not configured: every call is refused.")
    match = _SIGNATURE.fullmatch(header or "")
    if match is None:
        raise InvalidSignature(
            f"The {SIGNATURE_HEADER} header is malformed: expected "
            "t=<unix seconds, 1-12 digits>,v1=<64 hex digits>."
        )
    timestamp, given = int(match["t"]), match["v1"].lower()
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature(
            f"The signature's time is more than {tolerance} seconds away from ours."
        )
    if not hmac.compare_digest(_digest(body, secret=secret, timestamp=timestamp), given):
        raise InvalidSignature("The signature does not match the body.")
    return Signature(timestamp=timestamp, digest=given)


def record_webhook_once(source: str, event_key: str) -> bool:
    """Record that `event_key` from `source` is being applied: True the first time, False
    for a replay (then apply nothing).

    Call it inside the transaction that applies the event: if that rolls back, so does the
    record, and a redelivery may try again. A concurrent duplicate waits on the unique row
    until the first transaction ends, then sees it (False) or takes over (True).
    """
    if not 0 < len(source) <= SOURCE_MAX_LENGTH or not 0 < len(event_key) <= KEY_MAX_LENGTH:
        raise ValueError(
            f"record_webhook_once needs a source of 1-{SOURCE_MAX_LENGTH} characters and an "
            f"event key of 1-{KEY_MAX_LENGTH}."
        )
    with transaction.atomic():
        _, created = ProcessedWebhook.objects.get_or_create(source=source, event_key=event_key)
    return created


# What a webhook view answers in the API's error shape (webhook_error_response): a refusal of
# the shop's, a body the API's parser refuses, a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413).
WEBHOOK_ERRORS = (DomainError, APIException, RequestDataTooBig)


def read_signed_json(request, *, secret: str, tolerance: int) -> tuple[Signature, object]:
    """The verified signature and the parsed JSON body of a webhook request.

    Raises InvalidSignature first (nothing about the body is looked at unsigned), then what
    the API's JSON parser raises: not JSON, too deep, NaN, or text the database cannot store
    (NUL, lone surrogates) is a 400, as on the API.
    """
    signature = verify_signature(
        request.headers.get(SIGNATURE_HEADER), request.body, secret=secret, tolerance=tolerance
    )
    return signature, SafeJSONParser().parse(io.BytesIO(request.body))


def webhook_error_response(exc: Exception) -> JsonResponse:
    """One of WEBHOOK_ERRORS as the API's JSON error (the API's own exception handler)."""
    response = exception_handler(exc, {})
    return JsonResponse(response.data, status=response.status_code)
