"""The minimal-Django ceiling: one view, one `SELECT 1`, no middleware, on the same database
and gunicorn settings as the checkout run. Whatever this machine does per second here (this
day, under this load) bounds what any page can do; the checkout figures are read against it.
`/write` is the same with one committed INSERT instead (a checkout commits several times, and
a commit waits for the disk), into a table the caller creates first:
`CREATE TABLE ceiling_write (id bigserial PRIMARY KEY)`.

    DATABASE_URL=postgres://… gunicorn tests.load.ceiling_app:application

CEILING_SHAPE=startproject gives the ceiling as issue 9 measured it ("a minimal Django 5.2 page
… ~870–1,080 req/s with one indexed SELECT"): the settings `django-admin startproject` writes
(its seven middleware, its contrib apps, CONN_MAX_AGE 0 so a connection per request) and one
indexed SELECT on a real table. The default shape is stricter: no middleware, connections kept
60 s as the shop keeps them, `SELECT 1`. The benchmarks print the page's ratio to both.
"""

import os

import dj_database_url
import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path

# What `django-admin startproject` (Django 5.2) puts in settings.py.
STARTPROJECT_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

STARTPROJECT_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


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


def one_indexed_query(request):
    # An index lookup on a table every migrated database has (its primary key).
    with connection.cursor() as cursor:
        cursor.execute("SELECT app FROM django_migrations WHERE id = %s", [1])
        (value,) = cursor.fetchone()
    return JsonResponse({"value": value})


STARTPROJECT = os.environ.get("CEILING_SHAPE", "bare") == "startproject"
urlpatterns = [
    path("", one_indexed_query if STARTPROJECT else one_query),
    path("write", one_commit),
]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        SECRET_KEY="ceiling-only",  # noqa: S106 - a loopback benchmark app, no sessions
        INSTALLED_APPS=STARTPROJECT_APPS if STARTPROJECT else [],
        MIDDLEWARE=STARTPROJECT_MIDDLEWARE if STARTPROJECT else [],
        TEMPLATES=STARTPROJECT_TEMPLATES if STARTPROJECT else [],
        STATIC_URL="static/",
        # Bare: as the shop connects (shop/settings.py), persistent connections for 60 s.
        # startproject: Django's default, a new connection per request.
        DATABASES={
            "default": dj_database_url.parse(
                os.environ["DATABASE_URL"], conn_max_age=0 if STARTPROJECT else 60
            )
        },
    )
    django.setup()

application = get_wsgi_application()
