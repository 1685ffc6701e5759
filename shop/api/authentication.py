"""`Authorization: Token <key>` against shop.tokens (hashed, per-login, expiring keys)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from shop import tokens


class TokenExpired(exceptions.AuthenticationFailed):
    api_code = "token_expired"
    default_detail = _(
        "This token has expired after too long without use; request a new one from "
        "POST /api/v1/auth/token."
    )
    default_code = "token_expired"


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's token header parsing (and its OpenAPI `tokenAuth` scheme), our token store."""

    def authenticate_credentials(self, key):
        token = tokens.find_api_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.is_expired():
            raise TokenExpired()
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        tokens.mark_api_token_used(token)
        return (token.user, token)
