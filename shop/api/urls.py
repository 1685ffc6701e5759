from django.urls import path
from rest_framework.authtoken.views import ObtainAuthToken

app_name = "shop-api"


class TokenCreateApi(ObtainAuthToken):
    """POST {"username": e-mail, "password"} -> {"token"}."""

    parser_classes = ObtainAuthToken.parser_classes


urlpatterns = [
    path("auth/token", TokenCreateApi.as_view(), name="auth-token"),
]
