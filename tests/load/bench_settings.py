"""The shop's own settings for a checkout load run, with one change: Celery tasks go to a queue
of this run (CHECKOUT_BENCH_QUEUE), so a broker shared with other work is neither fed tasks
about a throwaway database nor drained by this run's worker. benchmarks/checkout_bench.py
deletes the queue afterwards."""

import os

from shop.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CHECKOUT_BENCH_QUEUE", "checkout-bench")
