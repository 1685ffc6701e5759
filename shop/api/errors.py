"""One DRF exception handler: every API error becomes `{"code", "detail", "fields"?}`."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shop.api.parsers import RequestBodyTooLarge
from shop.exceptions import DomainError
from shop.locks import as_lock_timeout

logger = logging.getLogger(__name__)

_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "validation_error",
    RequestBodyTooLarge: "request_too_large",
}


# An error body stays small whatever the request: a body with 100,000 bad items must not get a
# 20 MB answer. `fields` names the first MAX_FIELD_ERRORS problems (messages, in the order
# found) and `more_errors` counts the rest; keys, messages and `detail` are cut to size, as
# they may echo what the client sent.
MAX_FIELD_ERRORS = 50
MAX_KEY_LENGTH = 100
MAX_MESSAGE_LENGTH = 500
MAX_DETAIL_LENGTH = 1000


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"code": code, "detail": _clip(str(detail), MAX_DETAIL_LENGTH)}
    if fields:
        body["fields"], more = bound_fields(fields)
        if more:
            body["more_errors"] = more
    return body


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bound_fields(fields: dict, *, limit: int = MAX_FIELD_ERRORS) -> tuple[dict, int]:
    """The first `limit` messages of `fields` (document order) and how many were left out.

    Lists are cut only at their end, so a list of per-item errors (DRF's, where a valid item
    is an empty `{}`) keeps every kept item at its index.
    """
    kept = dropped = 0

    def prune(node):
        nonlocal kept, dropped
        if kept >= limit:
            dropped += _count_messages(node)
            return None
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                value = prune(value)
                if value is not None:
                    out[_clip(str(key), MAX_KEY_LENGTH)] = value
            return out if out or not node else None
        if isinstance(node, list | tuple):
            out = [value for value in map(prune, node) if value is not None]
            return out if out or not node else None
        kept += 1
        return _clip(str(node), MAX_MESSAGE_LENGTH)

    return prune(fields) or {}, dropped


def _count_messages(node) -> int:
    if isinstance(node, dict):
        return sum(map(_count_messages, node.values()))
    if isinstance(node, list | tuple):
        return sum(map(_count_messages, node))
    return 1


def _flatten(detail):
    """DRF's nested ErrorDetail structures as plain JSON (lists of strings, dicts of those)."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [_flatten(v) for v in detail]
    return str(detail)


def _first_message(fields) -> str:
    if isinstance(fields, dict):
        for key, value in fields.items():
            message = _first_message(value)
            if message:
                return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(fields, list):
        for value in fields:
            message = _first_message(value)
            if message:
                return message
    if isinstance(fields, str):
        return fields
    return ""


def exception_handler(exc, context):
    # A lock wait PostgreSQL cut short (lock_timeout) is a 409 the client may retry, wherever
    # it happened; shop.locks.lock_rows raises LockTimeout itself.
    exc = as_lock_timeout(exc) or exc
    if isinstance(exc, DomainError):
        body = error_body(exc.code, exc.detail, getattr(exc, "fields", None))
        body.update({k: v for k, v in exc.extra.items() if k not in body})
        # A refusal that passes with time (request_in_progress) says when to try again.
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            error_body("validation_error", _first_message(fields) or "Invalid input.", fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        message = str(exc).rstrip(".")
        exc = exceptions.NotFound(f"{message}." if message else None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when the first authentication class (session) has no challenge to
        # offer; the contract says 401, and a 401 must name a scheme: the API token.
        exc.status_code = status.HTTP_401_UNAUTHORIZED
        exc.auth_header = 'Token realm="api"'

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    # A subclass may name its own code (shop.api.authentication.TokenExpired: token_expired).
    code = getattr(exc, "api_code", None) or next(
        (c for cls, c in _CODES.items() if isinstance(exc, cls)), "error"
    )
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        detail = _first_message(fields) or "Invalid input."
        response.data = error_body(code, detail, fields)
    else:
        detail = (
            exc.detail if isinstance(exc.detail, str) else _first_message(_flatten(exc.detail))
        )
        # Throttled: DRF already sends the wait in the Retry-After header.
        response.data = error_body(code, str(detail))
    return response


def json_error_view(code: str, detail: str, status_code: int):
    def view(request, *args, **kwargs):
        return JsonResponse(error_body(code, detail), status=status_code)

    return view


# Exempt from CSRF as every API view is (DRF's own): it changes nothing, and an API client
# POSTing to a mistyped URL must get this JSON 404, not Django's HTML "CSRF verification
# failed" page.
@csrf_exempt
def api_404(request, exception=None, **kwargs):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def api_500(request):
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side."), status=500
    )
