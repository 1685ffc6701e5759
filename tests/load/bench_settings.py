"""The shop's own settings for a checkout load run, with one change: every Celery task goes to
one queue of this run (CHECKOUT_BENCH_QUEUE) instead of the shop's queues per kind, so a broker
shared with other work is neither fed tasks about a throwaway database nor drained by this
run's worker, and the run's one worker takes every kind. benchmarks/checkout_bench.py deletes
the queue afterwards."""

import os

from shop.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CHECKOUT_BENCH_QUEUE", "checkout-bench")
CELERY_TASK_ROUTES: dict = {}
