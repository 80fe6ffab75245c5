"""Helpers for the tests that run write paths in real threads against PostgreSQL and Redis.

SQLite serialises every writer and the in-process lock backend sees one process only, so those
tests prove nothing there: they are skipped unless ``DATABASE_URL`` is PostgreSQL and
``REDIS_URL`` is set (the template's CI runs the suite with both).
"""

import threading
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connections

needs_postgres_and_redis = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not settings.REDIS_URL,
    reason="real concurrency needs DATABASE_URL pointing at PostgreSQL and REDIS_URL pointing at Redis",
)

# Real transactions (no test-case wrapper), on both connections a thread may open: a refused
# operation records its failure through the "monitoring" alias.
concurrent_db = pytest.mark.django_db(transaction=True, databases=["default", "monitoring"])


@dataclass
class Outcome:
    """What one thread's call returned or raised."""

    value: object = None
    error: BaseException | None = None

    @property
    def ok(self):
        return self.error is None


def run_concurrently(*calls, timeout=60):
    """Run each call in its own thread, all released at once; return their outcomes in order.

    Every thread closes its database connections (the monitoring alias too) when it ends, as a
    request or a worker would.
    """
    outcomes = [Outcome() for _ in calls]
    start = threading.Barrier(len(calls))

    def run(index, call):
        try:
            start.wait(timeout)
            outcomes[index].value = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            outcomes[index].error = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call), daemon=True) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish: deadlock or endless wait"
    return outcomes
