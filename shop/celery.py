"""The Celery app. Eager (runs tasks inline) when REDIS_URL is unset, as in the embedded demo."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("emporium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
