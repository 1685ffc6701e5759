from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shop import tokens
from shop.api.authentication import ApiTokenAuthentication
from shop.api.serializers import ErrorSerializer
from shop.api.throttling import ScopedRateThrottle
from shop.auth import is_locked_out, lockout_response
from shop.models import ApiToken

app_name = "shop-api"


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenApi(APIView):
    """POST {"username": e-mail, "password"} -> {"token"}: a new key for `Authorization: Token …`.
    DELETE (with that header) revokes the key it presents.

    Logging in takes no session authentication, so no CSRF token is needed, and a stale
    Authorization header does not get in its way; wrong credentials are a 400 validation_error
    (DRF's convention for this endpoint), not a 401. Throttled per client at the `auth` rate
    (API_AUTH_RATE), much lower than other anonymous calls: credential stuffing. Failed logins
    also count towards the login lockout (shop/auth.py) shared with the storefront and admin
    logins: 429 `locked_out`. Each login gets its own key, which expires after
    API_TOKEN_IDLE_DAYS without use (401 `token_expired`).
    """

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_authenticators(self):
        # Only revoking reads the token. No request: the schema generator asking (POST's
        # schema says auth=[] itself).
        if getattr(self.request, "method", "DELETE") == "DELETE":
            return [ApiTokenAuthentication()]
        return []

    @extend_schema(
        operation_id="auth_token_create",
        summary="Exchange an e-mail address and password for an API token",
        description="Send the e-mail address as `username`. Use the key as "
        "`Authorization: Token <key>`; it expires after `API_TOKEN_IDLE_DAYS` (default 30) days "
        "without use. Wrong credentials: 400 `validation_error`.",
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Wrong credentials."),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Too many attempts (`throttled`), or too many failed logins from "
                "this address or for this account (`locked_out`, whatever the password); retry "
                "after Retry-After seconds.",
            ),
        },
        auth=[],
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # The lockout flags DRF's request, which AxesMiddleware never sees: answer here.
            if is_locked_out(request):
                return lockout_response(request)
            raise ValidationError(serializer.errors)
        _token, key = tokens.issue_api_token(user=serializer.validated_data["user"])
        return Response({"token": key})

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the API token this request presents",
        description="The key stops working at once. Other keys of the same user (other "
        "logins) keep working; staff revoke any key in the admin (Shop › API tokens).",
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked."),
            401: OpenApiResponse(
                ErrorSerializer,
                description="No token (`not_authenticated`), an unknown one "
                "(`authentication_failed`) or an expired one (`token_expired`).",
            ),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts."),
        },
        auth=[{"tokenAuth": []}],
    )
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated()
        tokens.revoke_api_tokens(tokens=[request.auth], actor=request.user)
        return Response(status=204)


urlpatterns = [
    path("auth/token", TokenApi.as_view(), name="auth-token"),
]
