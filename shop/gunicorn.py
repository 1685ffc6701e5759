"""gunicorn hooks for /metrics in multiprocess mode (shop/metrics.py):

    PROMETHEUS_MULTIPROC_DIR=/run/emporium/metrics \\
        gunicorn -c python:shop.gunicorn shop.wsgi:application --workers 3 ...

Each worker writes its request figures to files in PROMETHEUS_MULTIPROC_DIR and a scrape adds
them up. The directory is emptied when gunicorn starts (figures of an earlier run would count
again) and a worker that exits is marked dead. Without the variable these hooks do nothing.
"""

import os
from pathlib import Path

# Imported here, in the master at start-up, not in child_exit: that hook runs from a signal
# handler, which may interrupt another import of the same module (seen on a HUP reload).
from prometheus_client import multiprocess


def _metrics_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server):
    directory = _metrics_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    if _metrics_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)
