"""Background jobs: long work a person starts and follows on a status page (shop.BackgroundJob).

The one writer of BackgroundJob rows. A view calls `start_job` and queues a Celery task with
the job's public id (shop.jobs.enqueue); the task calls `run_job`, which marks the job running,
hands the work a `progress(done, total)` callback and stores its result or error. Progress goes
to the cache, not the row: the work usually runs inside one long transaction (an import is all
or nothing), whose writes nobody else sees until it ends; the status page reads the cache while
the job runs and the row once it is finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from shop.models import BackgroundJob, JobStatus

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 24 * 3600


def _progress_key(public_id: str) -> str:
    return f"background-job:{public_id}:progress"


def start_job(*, kind: str, params: dict, created_by=None, total: int | None = None):
    """Record a queued job; the caller queues the task that runs it (with its public id)."""
    user = created_by if created_by is not None and created_by.is_authenticated else None
    return BackgroundJob.objects.create(kind=kind, params=params, created_by=user, total=total)


def run_job(
    public_id: str, work: Callable[[BackgroundJob, Callable[[int, int | None], None]], Any]
):
    """Run `work(job, progress)` for the queued job `public_id`; store its JSON result.

    A job that is not queued any more (a redelivered task) is left alone and returned as it is.
    An exception in the work marks the job failed with its message (the status page shows it)
    and is logged with its traceback; it is not re-raised, so an eager run (development, tests)
    does not turn the page that queued the job into a 500.
    """
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().get(public_id=public_id)
        if job.status != JobStatus.QUEUED:
            logger.info("background job %s is %s; not run again", public_id, job.status)
            return job
        job.status, job.started_at = JobStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])

    def progress(done: int, total: int | None = None) -> None:
        report_progress(job, done=done, total=total)

    try:
        result = work(job, progress)
    except Exception as exc:  # noqa: BLE001 - any failure is the job's outcome, shown to its owner
        logger.exception("background job %s (%s) failed", job.public_id, job.kind)
        fail_job(job, error=f"{type(exc).__name__}: {exc}")
        return job
    finish_job(job, result=result)
    return job


def report_progress(job: BackgroundJob, *, done: int, total: int | None = None) -> None:
    """How far the job is: kept in the cache while it runs (see the module's note)."""
    job.done, job.total = done, total if total is not None else job.total
    cache.set(_progress_key(job.public_id), (job.done, job.total), PROGRESS_SECONDS)


def finish_job(job: BackgroundJob, *, result) -> None:
    job.status, job.result, job.finished_at = JobStatus.SUCCEEDED, result, timezone.now()
    job.done = max(job.done, job.total or 0)
    job.save(update_fields=["status", "result", "finished_at", "done", "total"])
    cache.delete(_progress_key(job.public_id))


def fail_job(job: BackgroundJob, *, error: str) -> None:
    job.status, job.error, job.finished_at = JobStatus.FAILED, error[:10_000], timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "done", "total"])
    cache.delete(_progress_key(job.public_id))


def get_job(*, public_id: str, user) -> BackgroundJob | None:
    """The job with this public id if `user` started it (or is a superuser), with its live
    progress while it runs; else None."""
    job = BackgroundJob.objects.filter(public_id=public_id).first()
    if job is None or not (user.is_superuser or job.created_by_id == user.pk):
        return None
    if job.status == JobStatus.RUNNING:
        job.done, job.total = cache.get(_progress_key(job.public_id), (job.done, job.total))
    return job
