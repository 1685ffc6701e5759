from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.api.serializers import ErrorSerializer
from shop.api.throttling import ScopedRateThrottle
from shop.auth import is_locked_out, lockout_response

app_name = "shop-api"


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenCreateApi(APIView):
    """POST {"username": e-mail, "password"} -> {"token"}: the key for `Authorization: Token …`.

    No session authentication here, so no CSRF token is needed to log in; wrong credentials are a
    400 validation_error (DRF's convention for this endpoint), not a 401. Throttled per client
    at the `auth` rate (API_AUTH_RATE), much lower than other anonymous calls: credential
    stuffing. Failed logins also count towards the login lockout (shop/auth.py) shared with the
    storefront and admin logins: 429 `locked_out`.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        operation_id="auth_token_create",
        summary="Exchange an e-mail address and password for an API token",
        description="Send the e-mail address as `username`. Use the key as "
        "`Authorization: Token <key>`. Wrong credentials: 400 `validation_error`.",
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
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


urlpatterns = [
    path("auth/token", TokenCreateApi.as_view(), name="auth-token"),
]
