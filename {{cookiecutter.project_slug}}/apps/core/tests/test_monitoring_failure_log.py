"""Failures are recorded, survive the rollback they describe, once, and keep no secret."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.urls import path

from apps.core.models import TransactionFailureLog
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.transaction_monitoring_service import (
    REDACTED,
    TransactionMonitoringService,
    classify,
    redact,
    redact_text,
)
from apps.core.testing import InjectedFault
from config.urls import urlpatterns as project_urlpatterns

PROJECT_DIR = Path(__file__).resolve().parents[3]
both_databases = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)


@pytest.fixture(autouse=True)
def fresh_counts():
    """In-memory counts are per process: start and end each test without another test's."""
    monitoring_metrics.drain()
    yield
    monitoring_metrics.drain()


def failures():
    TransactionMonitoringService.wait_for_deferred_records()
    return TransactionFailureLog.objects.using("monitoring")


@atomic_view_operation()
def create_group_then_fail(name="half-made", message="vendor unreachable"):
    Group.objects.create(name=name)
    raise InjectedFault(message)


def failing_view(request):
    """A view whose operation echoes secrets into its error message, as careless code does."""
    assert request.user.is_authenticated  # loads the user, as a real view would
    create_group_then_fail(
        message=f"could not sign in with password={request.POST.get('password')} token: {request.POST.get('token')}"
    )
    return JsonResponse({})


urlpatterns = [path("test-monitoring/fail/", failing_view), *project_urlpatterns]


@both_databases
def test_a_rolled_back_operation_leaves_a_failure_record():
    with pytest.raises(InjectedFault):
        create_group_then_fail()
    assert Group.objects.count() == 0
    record = failures().get()
    assert record.operation == f"{__name__}.create_group_then_fail"
    assert record.error_class == "apps.core.testing.InjectedFault"
    assert record.error_message == "vendor unreachable"
    assert record.category == TransactionFailureLog.Category.APPLICATION
    assert record.database_alias == "default"
    assert record.duration_ms is not None and record.duration_ms >= 0
    assert "test_monitoring_failure_log.py" in record.location


@both_databases
def test_the_record_survives_an_outer_transaction_that_rolls_back_too():
    with pytest.raises(InjectedFault), transaction.atomic():
        Group.objects.create(name="outer")
        create_group_then_fail()
    assert Group.objects.count() == 0
    assert failures().get().operation.endswith("create_group_then_fail")


@both_databases
def test_a_failure_nested_in_several_boundaries_is_recorded_once_under_the_outermost_name():
    @atomic_view_operation(name="outer operation")
    def outer():
        Group.objects.create(name="outer")
        create_group_then_fail()

    with pytest.raises(InjectedFault), transaction.atomic():
        outer()
    assert Group.objects.count() == 0
    assert list(failures().values_list("operation", flat=True)) == ["outer operation"]


@both_databases
def test_a_generic_outer_boundary_takes_the_name_of_the_service_inside_it():
    with pytest.raises(InjectedFault), atomic_view_operation():
        create_group_then_fail()
    assert failures().get().operation.endswith("create_group_then_fail")


@both_databases
def test_a_rejection_by_validation_is_counted_but_not_logged_as_a_failure():
    @atomic_view_operation(name="validated operation")
    def reject():
        Group.objects.create(name="invalid")
        raise ValidationError({"name": ["not allowed"]})

    monitoring_metrics.drain()
    with pytest.raises(ValidationError):
        reject()
    assert not failures().exists()
    [bucket] = [b for (_, _, name), b in monitoring_metrics.drain().items() if name == "validated operation"]
    assert (bucket.commits, bucket.rejections, bucket.rollbacks) == (0, 1, 0)
    assert bucket.errors == {"ValidationError": 1}


@both_databases
def test_a_broken_failure_log_never_breaks_the_operation(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise RuntimeError("monitoring database is down")

    monkeypatch.setattr(TransactionFailureLog, "save", refuse)
    with pytest.raises(InjectedFault):  # the operation's own error, not the logging failure
        create_group_then_fail()
    assert "could not write the failure record" in caplog.text


@pytest.mark.urls(__name__)
@both_databases
def test_the_record_of_a_request_keeps_no_secret(client):
    user = _user("secretive", "pa55-word-Secret")
    client.force_login(user)
    client.cookies["remember_me"] = "cookie-secret-value"
    with pytest.raises(InjectedFault):
        client.post(
            "/test-monitoring/fail/?api_key=query-secret",
            {"password": "hunter2-Secret", "token": "tok-Secret-123", "note": "hello"},
            HTTP_AUTHORIZATION="Bearer bearer-Secret-abc",
            HTTP_X_REQUEST_ID="req-42",
        )
    record = failures().get()
    stored = json.dumps({field.name: str(getattr(record, field.name)) for field in TransactionFailureLog._meta.fields})
    for secret in ("hunter2", "tok-Secret", "bearer-Secret", "cookie-secret", "query-secret", "pa55-word", "hello"):
        assert secret not in stored, secret
    assert f"password={REDACTED}" in record.error_message
    assert record.correlation_id == "req-42"
    assert record.username == "secretive"
    assert record.user_id == str(user.pk)
    assert (record.request_method, record.request_path) == ("POST", "/test-monitoring/fail/")
    assert record.view_name.endswith("failing_view")


def test_redaction_of_context_and_messages():
    context = {
        "Password": "a",
        "nested": {"csrfmiddlewaretoken": "b", "items": [{"api_key": "c", "ok": 1}]},
        "SESSION_ID": "d",
        "Authorization": "e",
        "client_secret": "f",
        "site": "HQ",
    }
    assert redact(context) == {
        "Password": REDACTED,
        "nested": {"csrfmiddlewaretoken": REDACTED, "items": [{"api_key": REDACTED, "ok": 1}]},
        "SESSION_ID": REDACTED,
        "Authorization": REDACTED,
        "client_secret": REDACTED,
        "site": "HQ",
    }
    text = redact_text('login failed: password=abc, "api_key": "xyz" Authorization: Bearer abcdef123 user=ada')
    assert "abc," not in text and "xyz" not in text and "abcdef123" not in text
    assert "user=ada" in text


class _PgError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "category"),
    [
        ("40P01", TransactionFailureLog.Category.DEADLOCK),
        ("40001", TransactionFailureLog.Category.SERIALIZATION),
        ("55P03", TransactionFailureLog.Category.LOCK_TIMEOUT),
        ("23505", TransactionFailureLog.Category.INTEGRITY),
        ("53300", TransactionFailureLog.Category.DATABASE),
    ],
)
def test_postgres_error_codes_name_deadlocks_and_serialization_failures(sqlstate, category):
    from django.db import OperationalError

    try:
        try:
            raise _PgError(sqlstate)
        except _PgError as cause:
            raise OperationalError("wrapped") from cause
    except OperationalError as error:
        assert classify(error) == (category, sqlstate)


@pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)
def test_a_real_postgres_deadlock_is_recorded_as_a_deadlock():
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("a real deadlock needs DATABASE_URL pointing at PostgreSQL; the codes are checked above")
    first = Group.objects.create(name="first")
    second = Group.objects.create(name="second")
    barrier = threading.Barrier(2)
    errors = []

    def worker(order):
        @atomic_view_operation(name=f"deadlock {order[0].name}")
        def update_both():
            Group.objects.filter(pk=order[0].pk).update(name=order[0].name + "!")
            barrier.wait(timeout=10)
            Group.objects.filter(pk=order[1].pk).update(name=order[1].name + "?")

        try:
            update_both()
        except Exception as exc:  # noqa: BLE001 - one of the two is chosen as the deadlock victim
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(order,)) for order in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 1
    record = failures().get()
    assert (record.category, record.error_code) == (TransactionFailureLog.Category.DEADLOCK, "40P01")


SQLITE_SCRIPT = """
import django, json
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import Group
from django.db import transaction
from apps.core.models import TransactionFailureLog
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService

call_command("migrate", verbosity=0)

@atomic_view_operation(name="sqlite nested failure")
def fail():
    Group.objects.create(name="inner")
    raise RuntimeError("inner failed")

try:
    with transaction.atomic():
        Group.objects.create(name="outer")
        fail()
except RuntimeError:
    pass
assert TransactionMonitoringService.wait_for_deferred_records(30)
print(json.dumps({
    "groups": Group.objects.filter(name__in=["inner", "outer"]).count(),
    "failures": list(TransactionFailureLog.objects.using("monitoring").values_list("operation", flat=True)),
}))
"""


def test_on_an_sqlite_file_the_record_waits_for_the_outer_transaction_instead_of_deadlocking(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=f"sqlite:///{tmp_path / 'trial.sqlite3'}"
    )
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"groups": 0, "failures": ["sqlite nested failure"]}


def _user(username, password, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=username, password=password, peoplecode=username.upper(), peoplename=username.title(), **extra
    )


@atomic_view_operation()
def query_a_table_that_does_not_exist():
    with transaction.get_connection().cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_anywhere")  # the project's line that issued it


@both_databases
def test_raised_at_names_the_projects_line_not_djangos_execute():
    with pytest.raises(Exception, match="no_such_table_anywhere"):
        query_a_table_that_does_not_exist()
    record = failures().get()
    line = query_a_table_that_does_not_exist.__wrapped__.__code__.co_firstlineno + 3
    assert record.location == (
        f"apps/core/tests/test_monitoring_failure_log.py:{line} in query_a_table_that_does_not_exist"
    )
