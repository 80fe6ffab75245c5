"""Helpers for the tests that run write paths in real threads against PostgreSQL and Redis.

SQLite serialises every writer and the in-process lock backend sees one process only, so those
tests prove nothing there: they are skipped unless ``DATABASE_URL`` is PostgreSQL and
``REDIS_URL`` is set (the template's CI runs the suite with both).
"""

import threading
import time
from contextlib import contextmanager
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


@contextmanager
def slow_updates(table, condition, seconds):
    """Hold every ``UPDATE`` of ``table`` whose new row matches ``condition`` for ``seconds``, inside
    its transaction (a PostgreSQL trigger running ``pg_sleep``), so that a concurrent edit meets it.

    ``condition`` is SQL over ``NEW`` and ``OLD``, e.g. ``"NEW.jobname = 'Slow'"``.
    """
    name = f"test_slow_{table}"
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
            f"BEGIN IF {condition} THEN PERFORM pg_sleep({float(seconds)}); END IF; RETURN NEW; END "
            "$$ LANGUAGE plpgsql"
        )
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        cursor.execute(f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
    try:
        yield
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def after(seconds, call):
    """``call`` started ``seconds`` later than the others in ``run_concurrently``: it meets them mid-write."""

    def delayed():
        time.sleep(seconds)
        return call()

    return delayed


def api_as(user):
    """A DRF client signed in as ``user``, one per thread."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def web_as(user):
    """Django's test client with a session for ``user``, one per thread."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def two_edits_from_one_version(url, user, *, table, slow_change, first, second):
    """Two people open the edit page at ``url`` at the same version and save ``first`` and ``second``.

    The first save is held in its transaction (``slow_updates(table, slow_change, 1.5)``) while the
    second arrives half a second later; each posts the form as it was shown with its own changes.
    Returns both answers.
    """
    from apps.core.tests.forms import BROWSER, as_submitted

    shown = as_submitted(web_as(user).get(url).context["form"])
    with slow_updates(table, slow_change, 1.5):
        saved_first, saved_second = run_concurrently(
            lambda: web_as(user).post(url, {**shown, **first}, **BROWSER),
            after(0.5, lambda: web_as(user).post(url, {**shown, **second}, **BROWSER)),
        )
    return saved_first.value, saved_second.value
