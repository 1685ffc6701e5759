"""The OpenAPI document tells the truth about errors: every operation lists the error statuses
it can answer, each with the error shape (`Error`), so views do not repeat them.

Which statuses apply follows from the view, not from a list kept by hand:

- 400, 429, 503 always: any address can carry a NUL (`invalid_text`); throttles and login
  lockouts; a kill switch or a dependency down.
- 401 when the view authenticates: a bad or expired token is a 401 even on a public read.
- 403 when the method is not public (the view's permissions refuse an anonymous request), or
  for a write authenticated by the session cookie (no CSRF token).
- 404 when the path names something (`{handle}`, `{sku}`); views declare it for lookups by
  query or body.
- 409 and 422 for an authenticated write: a concurrent change or a lock held too long; a
  business rule's refusal. Logging in is not such a write.
- 413 and 415 when the operation takes a body: too large, or not JSON.

A view's own `extend_schema(responses=...)` entry for a status wins (its description is more
specific); these only fill the gaps.
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from shop.api.serializers import ErrorSerializer

DESCRIPTIONS = {
    400: "Invalid input (`validation_error`, `fields` names each problem, at most 50 plus "
    "`more_errors`), malformed JSON (`malformed_request`) or text with a NUL or a lone "
    "surrogate in the address or the body (`invalid_text`).",
    401: "Not authenticated, or the token is unknown or expired (`WWW-Authenticate: Token`).",
    403: "Authenticated but not allowed, or a session-authenticated write without its CSRF token.",
    404: "Not found, or not visible to you.",
    409: "Conflict with the current state: a concurrent change, or a lock held too long "
    "(`lock_timeout`); retry.",
    413: "The request body is too large (`request_too_large`).",
    415: "The body is not `application/json` (`unsupported_media_type`).",
    422: "Refused by a business rule; `code` names which.",
    429: "Too many requests or login attempts; retry after `Retry-After` seconds.",
    503: "Switched off, or a dependency is down; retry later.",
}


class ErrorResponsesAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self.error_statuses():
            if str(status) not in responses:
                error = OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[status])
                responses[str(status)] = self._get_response_for_code(
                    error, str(status), direction=direction
                )
        return dict(sorted(responses.items()))

    def error_statuses(self) -> list[int]:
        statuses = {400, 429, 503}
        method = self.method.upper()
        writes = method not in SAFE_METHODS
        authenticators = self.view.get_authenticators()
        if authenticators:
            statuses.add(401)
        session = any(isinstance(a, SessionAuthentication) for a in authenticators)
        if not self._public(method) or (writes and session):
            statuses.add(403)
        if "{" in self.path:
            statuses.add(404)
        if writes and authenticators:  # a write by someone; logging in is not one
            statuses |= {409, 422}
        if self._takes_body():
            statuses |= {413, 415}
        return sorted(statuses)

    def _public(self, method: str) -> bool:
        """Whether the view's permissions let an anonymous request through for `method`."""
        request = Request(APIRequestFactory().generic(method, self.path))
        request.user = AnonymousUser()
        try:
            return all(p.has_permission(request, self.view) for p in self.view.get_permissions())
        except Exception:  # noqa: BLE001 - a permission that needs more than a method: not public
            return False

    def _takes_body(self) -> bool:
        return self.method.upper() in ("POST", "PUT", "PATCH") and bool(
            self._get_request_body(direction="request")
        )
