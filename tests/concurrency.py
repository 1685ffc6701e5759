"""Real concurrency for tests on PostgreSQL: threads released at once, each on its own
database connection."""

import threading

from django.db import connection


def race(
    attempts: list, action, *, threads: int, refusals: tuple[type[Exception], ...]
) -> tuple[list, list, list]:
    """Run action(attempt) for every attempt, spread over at most `threads` threads released
    at once (each works through its share in turn).

    Returns (results, refusals, errors): what the calls returned, the exceptions of the
    `refusals` types they raised, and the repr of any other exception (deadlocks, lock
    timeouts; a test asserts there are none). Each thread closes its connection when done.
    """
    threads = min(threads, len(attempts))
    shares = [attempts[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads)
    ok, refused, errors = [], [], []

    def worker(share):
        try:
            barrier.wait()
            for attempt in share:
                try:
                    ok.append(action(attempt))
                except refusals as exc:
                    refused.append(exc)
                except Exception as exc:  # noqa: BLE001 - any other error fails the test
                    errors.append(repr(exc))
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=300)
    return ok, refused, errors


def together(n: int, action, refusals: tuple[type[Exception], ...]) -> tuple[list, list, list]:
    """Run action(i) for i in range(n) in n threads released at once (race, a call each)."""
    return race(list(range(n)), action, threads=n, refusals=refusals)
