"""The Celery app. Eager (runs tasks inline) when REDIS_URL is unset, as in the embedded demo."""

import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("emporium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def drop_unusable_connections(sender=None, **kwargs) -> None:
    """Before and after a task, close a database connection that is broken or older than
    CONN_MAX_AGE, as Django does around every request.

    Celery's own Django fixup would close every connection around every task (a new
    PostgreSQL backend per task: a third of a checkout's task CPU); settings.CELERY_DB_REUSE_MAX
    keeps them, and this keeps a broken one from being reused. Not for eager tasks: they run
    inside the caller's request, perhaps inside its transaction."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()
