"""The minimal-Django ceiling: one view, one `SELECT 1`, no middleware, on the same database
and gunicorn settings as the checkout run. Whatever this machine does per second here (this
day, under this load) bounds what any page can do; the checkout figures are read against it.
`/write` is the same with one committed INSERT instead (a checkout commits several times, and
a commit waits for the disk), into a table the caller creates first:
`CREATE TABLE ceiling_write (id bigserial PRIMARY KEY)`.

    DATABASE_URL=postgres://… gunicorn tests.load.ceiling_app:application
"""

import os

import dj_database_url
import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path


def one_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return JsonResponse({"value": value})


def one_commit(request):
    with connection.cursor() as cursor:  # autocommit: the statement is its own transaction
        cursor.execute("INSERT INTO ceiling_write DEFAULT VALUES RETURNING id")
        (value,) = cursor.fetchone()
    return JsonResponse({"value": value})


urlpatterns = [path("", one_query), path("write", one_commit)]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        SECRET_KEY="ceiling-only",  # noqa: S106 - a loopback benchmark app, no sessions
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        # As the shop connects (shop/settings.py): persistent connections for 60 s.
        DATABASES={"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)},
    )
    django.setup()

application = get_wsgi_application()
