"""Celery tasks of the catalog: thin wrappers around services."""

from celery import shared_task

from catalog.import_uploads import upload_path
from catalog.importing import import_catalog
from shop.background import run_job

IMPORT_JOB = "catalog_import"


@shared_task(name="catalog.tasks.import_catalog_file")
def import_catalog_file(job_id: str) -> None:
    """Run the catalog import (or its dry run) that the admin queued as BackgroundJob `job_id`."""
    run_job(job_id, _import)


def _import(job, progress) -> dict:
    params = job.params
    path = upload_path(params["token"])
    if not path.exists():
        return {"file_errors": ["That upload has expired; upload the file again."]}
    data = path.read_bytes()
    # Rows, roughly, for the progress bar: the lines of a CSV (a workbook's are not known).
    total = (data.count(b"\n") or None) if path.suffix == ".csv" else None
    done = 0

    def batch_written(rows: int) -> None:
        nonlocal done
        done += rows
        progress(done, total)

    progress(0, total)
    result = import_catalog(
        data=data,
        filename=path.name,
        format=params["format"],
        dry_run=params["dry_run"],
        strict=params.get("strict", False),
        currency=params.get("currency") or None,
        location=params.get("location") or None,
        actor=job.created_by,
        progress=batch_written,
    )
    if not params["dry_run"]:
        path.unlink(missing_ok=True)
    return result.as_json()
