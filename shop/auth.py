"""Login lockout for every way in: the storefront login, the admin login and the API token
endpoint (django-axes).

Failed logins are counted per client address and per account (the e-mail address as typed,
lower-cased), in PostgreSQL: a Redis outage neither locks anybody out nor lets a guesser
through. Past AXES_FAILURE_LIMIT failures within AXES_COOLOFF_TIME, every login from that
address, or to that account, is refused with a 429 — even with the right password — until the
cool-off passes or staff unlock it (docs/runbooks.md, "Someone is locked out"). The answer is the
same whether or not the account exists.
"""

import ipaddress

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle

from shop.api.errors import error_body

# AccessAttempt.username is a 255-character column.
_USERNAME_MAX = 255


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses every login while its client address or account is locked out (first in
    AUTHENTICATION_BACKENDS; ModelBackend then checks the password).

    A login without a request (the test client's `login()`, a shell) has no client address to
    count: it goes straight to the next backend. Every login over HTTP passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_username(request, credentials: dict | None) -> str | None:
    """The account a login attempt names, as the user model compares it (lower-case e-mail), so
    "Ada@Example.com" and "ada@example.com" count against one account (AXES_USERNAME_CALLABLE)."""
    if credentials:
        value = credentials.get("username")
    else:
        data = getattr(request, "data", None)
        if not hasattr(data, "get"):
            data = request.POST
        value = data.get("username")
    if not isinstance(value, str):
        return None
    # Whatever a client typed is stored: NUL and lone surrogates cannot go into PostgreSQL.
    value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value.strip().lower()[:_USERNAME_MAX] or None


_IDENT = BaseThrottle()


def client_ip(request) -> str | None:
    """The client address, exactly as the API throttles see it (NUM_PROXIES decides whether
    X-Forwarded-For counts), so one address means one thing everywhere (AXES_CLIENT_IP_CALLABLE).
    Anything that is not an IP address falls back to the socket peer."""
    for candidate in (_IDENT.get_ident(request), request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address((candidate or "").strip()))
        except ValueError:
            continue
    return None


def lockout_seconds(request=None) -> int:
    return int(get_cool_off(request).total_seconds())


def lockout_message(request=None) -> str:
    minutes = max(1, lockout_seconds(request) // 60)
    return ngettext(
        "Too many failed sign-in attempts. Signing in is blocked for %(minutes)d minute; "
        "try again later or reset your password.",
        "Too many failed sign-in attempts. Signing in is blocked for %(minutes)d minutes; "
        "try again later or reset your password.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the API's error shape under /api/, a page elsewhere; both 429
    with Retry-After."""
    seconds = lockout_seconds(request)
    headers = {"Retry-After": str(seconds)}
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("locked_out", lockout_message(request)), status=429, headers=headers
        )
    response = render(
        request,
        "registration/locked_out.html",
        {"message": lockout_message(request), "title": _("Signing in is blocked for now")},
        status=429,
    )
    for name, value in headers.items():
        response[name] = value
    return response


def is_locked_out(request) -> bool:
    """Whether the login attempt just made on `request` was refused by the lockout."""
    return bool(getattr(request, "axes_locked_out", False)) and settings.AXES_ENABLED
