"""The success path costs no query; folding counts from many processes is exact and idempotent."""

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.models import TransactionMetrics
from apps.core.services import distributed_locks, monitoring_metrics
from apps.core.services.monitoring_metrics import LOCK, OPERATION, Bucket
from apps.core.services.transaction_manager import atomic_view_operation

PROJECT_DIR = Path(__file__).resolve().parents[3]
both_databases = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)


@pytest.fixture(autouse=True)
def fresh_counts():
    """In-memory counts are per process: start and end each test without another test's."""
    monitoring_metrics.drain()
    yield
    monitoring_metrics.drain()


@atomic_view_operation()
def create_group(name):
    return Group.objects.create(name=name)


def rows(**filters):
    return TransactionMetrics.objects.using("monitoring").filter(**filters)


@both_databases
def test_the_success_path_adds_no_query_on_any_connection_and_no_network_call(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the success path opened a network connection")

    create_group("warm-up")  # connections open before we count
    connections["monitoring"].ensure_connection()
    monitoring_metrics.drain()
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with CaptureQueriesContext(connections["default"]) as plain:
        with transaction.atomic():
            Group.objects.create(name="plain")
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["monitoring"]) as monitoring,
    ):
        create_group("counted")
    assert monitoring.captured_queries == []
    # Exactly the statements of the same write in a plain transaction: the watching costs none.
    kinds = [query["sql"].split()[0] for query in default.captured_queries]
    assert kinds == [query["sql"].split()[0] for query in plain.captured_queries]
    assert kinds.count("INSERT") == 1
    [(key, bucket)] = [(k, b) for k, b in monitoring_metrics.drain().items() if k[2].endswith("create_group")]
    assert (bucket.commits, bucket.rollbacks, bucket.duration_count) == (1, 0, 1)


def _bucket(commits, rollbacks, durations, errors=None):
    bucket = Bucket(commits=commits, rollbacks=rollbacks, errors=dict(errors or {}))
    for duration in durations:
        bucket.observe(duration, slow_ms=1000)
    return bucket


@both_databases
def test_folding_two_processes_snapshots_adds_up_exactly_and_merges_error_classes():
    hour = datetime(2030, 1, 1, 10, tzinfo=UTC)
    first = {(hour, OPERATION, "op"): _bucket(3, 1, [10, 20, 30, 2000], {"KeyError": 1})}
    second = {
        (hour, OPERATION, "op"): _bucket(5, 2, [5, 1500, 40, 50, 60, 70, 80], {"KeyError": 1, "OSError": 1}),
        (hour + timedelta(hours=1), OPERATION, "op"): _bucket(1, 0, [1]),
    }
    monitoring_metrics.write_buckets(first)
    monitoring_metrics.write_buckets(second)
    row = rows(hour=hour, operation="op").get()
    assert (row.commits, row.rollbacks, row.duration_count) == (8, 3, 11)
    assert row.duration_sum_ms == pytest.approx(3865)
    assert (row.duration_min_ms, row.duration_max_ms, row.slow_count) == (5, 2000, 2)
    assert row.error_classes == {"KeyError": 2, "OSError": 1}
    assert rows(operation="op").count() == 2


@both_databases
def test_running_the_fold_twice_does_not_double_count():
    monitoring_metrics.drain()
    for index in range(4):
        create_group(f"g{index}")
    assert monitoring_metrics.fold() >= 1
    assert monitoring_metrics.fold() == 0
    total = sum(rows(operation__endswith="create_group").values_list("commits", flat=True))
    assert total == 4


@both_databases
def test_a_fold_that_cannot_write_keeps_the_counts_for_the_next(monkeypatch):
    monitoring_metrics.drain()
    create_group("kept")

    def broken(buckets, using=None):
        raise RuntimeError("database away")

    monkeypatch.setattr(monitoring_metrics, "write_buckets", broken)
    with pytest.raises(RuntimeError):
        monitoring_metrics.fold()
    monkeypatch.undo()
    monitoring_metrics.fold()
    assert sum(rows(operation__endswith="create_group").values_list("commits", flat=True)) == 1


@both_databases
def test_lock_waits_timeouts_and_expiries_are_folded_as_changes_since_the_last_fold():
    monitoring_metrics.fold()
    distributed_locks.LOCK_WAIT_SECONDS.labels("FOLD_TEST").observe(0.25)
    distributed_locks.LOCK_WAIT_SECONDS.labels("FOLD_TEST").observe(0.75)
    distributed_locks.LOCK_TIMEOUTS.labels("FOLD_TEST").inc()
    distributed_locks.LOCK_EXPIRED_UNDER_HOLDER.labels("FOLD_TEST").inc()
    monitoring_metrics.fold()
    monitoring_metrics.fold()
    row = rows(kind=LOCK, operation="FOLD_TEST").get()
    assert (row.lock_waits, row.lock_timeouts, row.lock_expired) == (2, 1, 1)
    assert row.lock_wait_sum_ms == pytest.approx(1000)


COUNT_AND_FOLD = """
import django
django.setup()
from django.core.exceptions import ValidationError
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_manager import atomic_view_operation

@atomic_view_operation(name="two processes")
def succeed():
    pass

@atomic_view_operation(name="two processes")
def reject():
    raise ValidationError("no")

for _ in range({commits}):
    succeed()
for _ in range({rejections}):
    try:
        reject()
    except ValidationError:
        pass
monitoring_metrics.fold()
monitoring_metrics.fold()
print("folded")
"""


def _database_url(settings_dict):
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return None
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    return f"postgres://{credentials}{host}/{settings_dict['NAME']}"


def _run(script, database_url):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url)
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@both_databases
def test_two_real_processes_counting_and_folding_at_once_give_exact_totals(tmp_path):
    database_url = _database_url(connections["default"].settings_dict)
    sqlite_file = None
    if database_url is None:
        # The SQLite test database lives in this process's memory: give the children a file.
        sqlite_file = tmp_path / "fold.sqlite3"
        database_url = f"sqlite:///{sqlite_file}"
        migrate = _run(
            "import django; django.setup(); from django.core.management import call_command; "
            "call_command('migrate', verbosity=0)",
            database_url,
        )
        assert migrate.wait(120) == 0, migrate.stderr.read()
    children = [
        _run(COUNT_AND_FOLD.format(commits=300, rejections=7), database_url),
        _run(COUNT_AND_FOLD.format(commits=200, rejections=5), database_url),
    ]
    for child in children:
        out, err = child.communicate(timeout=180)
        assert child.returncode == 0 and "folded" in out, err[-3000:]
    query = (
        "SELECT SUM(commits), SUM(rejections), SUM(duration_count) FROM core_transactionmetrics "
        "WHERE operation = 'two processes'"
    )
    if sqlite_file is not None:
        with sqlite3.connect(sqlite_file) as database:
            totals = database.execute(query).fetchone()
    else:
        with connections["monitoring"].cursor() as cursor:
            cursor.execute(query)
            totals = cursor.fetchone()
    assert tuple(int(value) for value in totals) == (500, 12, 512)
