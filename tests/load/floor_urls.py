"""The shop's URLs plus the floor views (see floor_settings): `/_floor/` answers one `SELECT 1`
through the shop's whole middleware stack; `/_floor/form/` does the same and puts a CSRF token
in its page, as every page with a form must (a new token per cookie-less visitor)."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import include, path

from shop.urls import urlpatterns as shop_urlpatterns


def _select_one() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return value


def one_query(request):
    return JsonResponse({"value": _select_one()})


def one_query_with_form(request):
    token = get_token(request)
    field = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    return HttpResponse(f"<!doctype html><form method=post>{field}{_select_one()}</form>")


urlpatterns = [
    path("_floor/", one_query),
    path("_floor/form/", one_query_with_form),
    path("", include(shop_urlpatterns)),
]
