"""Real concurrency for tests on PostgreSQL: threads released at once, each on its own
database connection."""

import threading

from django.db import connection


def together(n: int, action, refusals: tuple[type[Exception], ...]) -> tuple[list, list, list]:
    """Run action(i) for i in range(n) in n threads released at once.

    Returns (results, refusals, errors): what the calls returned, the exceptions of the
    `refusals` types they raised, and the repr of any other exception (a test asserts there
    are none). Each thread closes its connection when done.
    """
    barrier = threading.Barrier(n)
    ok, refused, errors = [], [], []

    def worker(i):
        try:
            barrier.wait()
            ok.append(action(i))
        except refusals as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - any other error fails the test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return ok, refused, errors
