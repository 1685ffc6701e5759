"""API tokens: one hashed key per login, expiring after API_TOKEN_IDLE_DAYS without use,
revocable by their user (DELETE /api/v1/auth/token) and by staff (admin)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from shop.models import ApiToken

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
EXPIRED = {
    "code": "token_expired",
    "detail": "This token has expired after too long without use; request a new one from "
    "POST /api/v1/auth/token.",
}


class WhoAmI(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"email": request.user.email})


def _call(key):
    request = APIRequestFactory().get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Token {key}")
    response = WhoAmI.as_view()(request)
    response.render()
    return response


def _login(api_client, user, password):
    response = api_client.post(
        TOKEN_URL, {"username": user.email, "password": password}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def _age(key_or_token, **delta):
    token = key_or_token if isinstance(key_or_token, ApiToken) else ApiToken.objects.get()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(**delta))


def test_each_login_gets_its_own_key_and_only_a_digest_is_stored(api_client, customer, password):
    first, second = _login(api_client, customer, password), _login(api_client, customer, password)

    assert first != second
    assert [_call(key).data for key in (first, second)] == [{"email": customer.email}] * 2
    stored = list(ApiToken.objects.values_list("digest", "prefix"))
    assert len(stored) == 2
    assert {prefix for _digest, prefix in stored} == {first[:8], second[:8]}
    assert not any(key in digest for key in (first, second) for digest, _prefix in stored)


def test_a_token_unused_for_thirty_days_is_refused_with_token_expired(
    api_client, customer, password
):
    key = _login(api_client, customer, password)
    _age(key, days=30)

    response = _call(key)

    assert response.status_code == 401
    assert response.data == EXPIRED
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_the_expired_answer_goes_through_the_api_error_shape(api_client, customer, password):
    key = _login(api_client, customer, password)
    _age(key, days=31)

    response = api_client.delete(TOKEN_URL, HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert response.json() == EXPIRED
    assert ApiToken.objects.count() == 1  # an expired key revokes nothing, not even itself


def test_using_a_token_keeps_it_alive(api_client, customer, password):
    key = _login(api_client, customer, password)
    _age(key, days=29, hours=23)

    first = _call(key)
    token = ApiToken.objects.get()

    assert first.status_code == 200
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)
    assert token.expires_at - timezone.now() > timedelta(days=29, hours=23)


def test_use_is_recorded_at_most_once_a_minute(api_client, customer, password):
    key = _login(api_client, customer, password)
    _age(key, seconds=30)
    before = ApiToken.objects.get().last_used_at

    _call(key)

    assert ApiToken.objects.get().last_used_at == before


def test_the_idle_limit_comes_from_api_token_idle_days(api_client, customer, password, settings):
    settings.API_TOKEN_IDLE_DAYS = 7
    key = _login(api_client, customer, password)
    _age(key, days=6, hours=23)
    assert _call(key).status_code == 200

    _age(key, days=7)

    assert _call(key).data == EXPIRED


def test_the_user_revokes_the_token_they_present(api_client, customer, password):
    revoked, kept = _login(api_client, customer, password), _login(api_client, customer, password)

    response = api_client.delete(TOKEN_URL, HTTP_AUTHORIZATION=f"Token {revoked}")

    assert response.status_code == 204
    assert response.content == b""
    assert _call(revoked).status_code == 401
    assert _call(revoked).data == {"code": "authentication_failed", "detail": "Invalid token."}
    assert _call(kept).data == {"email": customer.email}
    assert list(ApiToken.objects.values_list("prefix", flat=True)) == [kept[:8]]


def test_revoking_needs_a_token(api_client, client, customer, password):
    _login(api_client, customer, password)
    client.force_login(customer)

    anonymous = api_client.delete(TOKEN_URL)
    unknown = api_client.delete(TOKEN_URL, HTTP_AUTHORIZATION="Token not-a-key")
    with_session_only = client.delete(TOKEN_URL)

    assert [r.status_code for r in (anonymous, unknown, with_session_only)] == [401] * 3
    assert anonymous.json()["code"] == "not_authenticated"
    assert unknown.json() == {"code": "authentication_failed", "detail": "Invalid token."}
    assert with_session_only.json()["code"] == "not_authenticated"
    assert ApiToken.objects.count() == 1


def test_logging_in_ignores_a_stale_authorization_header(api_client, customer, password):
    response = api_client.post(
        TOKEN_URL,
        {"username": customer.email, "password": password},
        format="json",
        HTTP_AUTHORIZATION="Token revoked-long-ago",
    )

    assert response.status_code == 200


def test_a_deactivated_users_tokens_stop_working(api_client, customer, password):
    key = _login(api_client, customer, password)
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    response = _call(key)

    assert response.status_code == 401
    assert response.data == {
        "code": "authentication_failed",
        "detail": "User inactive or deleted.",
    }


def test_staff_revoke_tokens_in_the_admin(
    api_client, client, customer, password, django_user_model
):
    revoked, kept = _login(api_client, customer, password), _login(api_client, customer, password)
    root = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    client.force_login(root)
    target = ApiToken.objects.get(prefix=revoked[:8])

    changelist = client.get("/admin/shop/apitoken/")
    response = client.post(
        "/admin/shop/apitoken/",
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
    )

    html = changelist.content.decode()
    assert changelist.status_code == 200
    assert revoked[:8] in html and kept[:8] in html
    assert revoked not in html and kept not in html  # keys are never shown
    assert response.status_code == 302
    assert _call(revoked).status_code == 401
    assert _call(kept).status_code == 200


def test_staff_cannot_mint_or_edit_tokens_in_the_admin(client, django_user_model):
    root = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    client.force_login(root)

    assert client.get("/admin/shop/apitoken/add/").status_code == 403


def test_the_schema_documents_revoking_and_token_expired(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    revoke = paths["/api/v1/auth/token"]["delete"]
    assert {"204", "401", "429"} <= set(revoke["responses"])
    assert "token_expired" in revoke["responses"]["401"]["description"]
    assert revoke["security"] == [{"tokenAuth": []}]
