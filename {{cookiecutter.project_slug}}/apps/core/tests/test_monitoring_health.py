"""Health: thresholds at their edges, summaries, snapshots, pruning, the command, the endpoints."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.core.models import AfterCommitIncident, TransactionFailureLog, TransactionHealthCheck, TransactionMetrics
from apps.core.services import monitoring_metrics
from apps.core.services.monitoring_metrics import OPERATION, Bucket
from apps.core.services.transaction_monitoring_service import (
    DEFAULT_THRESHOLDS,
    TransactionAuditService,
    TransactionMonitoringService,
    evaluate_health,
)
from apps.core.tasks import prune_transaction_monitoring, take_transaction_health_snapshot

HEALTHY = TransactionHealthCheck.Status.HEALTHY
DEGRADED = TransactionHealthCheck.Status.DEGRADED
CRITICAL = TransactionHealthCheck.Status.CRITICAL
both_databases = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)


@pytest.fixture(autouse=True)
def fresh_counts():
    """In-memory counts are per process: start and end each test without another test's."""
    monitoring_metrics.drain()
    yield
    monitoring_metrics.drain()


@pytest.mark.parametrize(
    ("figures", "status"),
    [
        ({"failure_rate": 0.0}, HEALTHY),
        ({"failure_rate": 1.0}, HEALTHY),
        ({"failure_rate": 1.001}, DEGRADED),
        ({"failure_rate": 5.0}, DEGRADED),
        ({"failure_rate": 5.001}, CRITICAL),
        ({"failure_rate": 0.0, "average_ms": 1000.0}, HEALTHY),
        ({"failure_rate": 0.0, "average_ms": 1000.1}, DEGRADED),
        ({"failure_rate": 0.0, "deadlocks": 1}, CRITICAL),
        ({"failure_rate": 0.0, "lock_timeouts": 10}, HEALTHY),
        ({"failure_rate": 0.0, "lock_timeouts": 11}, DEGRADED),
        ({"failure_rate": 2.0, "deadlocks": 1}, CRITICAL),
    ],
)
def test_thresholds_at_their_edges(figures, status):
    assert evaluate_health(limits=DEFAULT_THRESHOLDS, **figures)[0] == status


def test_thresholds_come_from_settings(settings):
    settings.TRANSACTION_HEALTH_THRESHOLDS = {**DEFAULT_THRESHOLDS, "failure_rate_critical": 50.0}
    status, reasons = evaluate_health(failure_rate=20.0)
    assert status == DEGRADED and "20.00%" in reasons[0]


def _fold(operation, commits=0, rollbacks=0, rejections=0, durations=(), hours_ago=0):
    hour = monitoring_metrics.current_hour(datetime.now(UTC) - timedelta(hours=hours_ago))
    bucket = Bucket(commits=commits, rollbacks=rollbacks, rejections=rejections)
    for duration in durations:
        bucket.observe(duration, slow_ms=1000)
    monitoring_metrics.write_buckets({(hour, OPERATION, operation): bucket})


def _failure(operation, category=TransactionFailureLog.Category.APPLICATION, hours_ago=0, **fields):
    return TransactionFailureLog.objects.using("monitoring").create(
        operation=operation,
        error_class=fields.pop("error_class", "builtins.RuntimeError"),
        category=category,
        occurred_at=timezone.now() - timedelta(hours=hours_ago),
        **fields,
    )


@both_databases
def test_summary_counts_commits_rejections_and_failures_over_the_window():
    _fold("orders.create", commits=95, rejections=3, rollbacks=2, durations=[10] * 100)
    _fold("orders.create", commits=1000, hours_ago=30)  # outside the 24 h window
    _failure("orders.create")
    _failure("orders.create", error_class="django.db.utils.IntegrityError")
    summary = TransactionMonitoringService.get_transaction_health_summary(hours=24)
    assert summary["total_transactions"] == 100
    assert (summary["commits"], summary["rejections"], summary["failures"]) == (95, 3, 2)
    assert summary["success_rate"] == 95.0
    assert summary["failure_rate"] == 2.0
    assert summary["status"] == DEGRADED
    assert summary["average_duration_ms"] == 10.0
    assert {row["error_class"] for row in summary["error_types"]} == {
        "builtins.RuntimeError",
        "django.db.utils.IntegrityError",
    }


@both_databases
def test_a_deadlock_makes_the_status_critical_whatever_the_rate():
    _fold("orders.create", commits=10_000)
    _failure("orders.create", category=TransactionFailureLog.Category.DEADLOCK)
    summary = TransactionMonitoringService.get_transaction_health_summary()
    assert summary["deadlocks"] == 1 and summary["status"] == CRITICAL


@both_databases
def test_top_failing_operations_and_slow_transactions():
    _fold("a.often", commits=8, rollbacks=2, durations=[5] * 10)
    _fold("b.seldom", commits=99, rollbacks=1, durations=[1500] * 100)
    for _ in range(2):
        _failure("a.often")
    _failure("b.seldom")
    top = TransactionMonitoringService.get_top_failing_operations(limit=10)
    assert [(row["operation"], row["failures"], row["failure_rate"]) for row in top] == [
        ("a.often", 2, 20.0),
        ("b.seldom", 1, 1.0),
    ]
    assert top[0]["last_failure_id"] is not None
    slow = TransactionAuditService.get_slow_transactions(threshold_ms=1000)
    assert [row["operation"] for row in slow] == ["b.seldom"]
    assert TransactionAuditService.get_slow_transactions(threshold_ms=1500) == []


@both_databases
def test_the_snapshot_task_stores_the_verdict_and_the_command_exits_non_zero_when_critical(capsys):
    _fold("orders.create", commits=90, rollbacks=10)
    for _ in range(10):
        _failure("orders.create")
    assert take_transaction_health_snapshot.apply().result == CRITICAL
    snapshot = TransactionMonitoringService.latest_snapshot()
    assert (snapshot.status, snapshot.failures, snapshot.failure_rate) == (CRITICAL, 10, 10.0)
    with pytest.raises(CommandError) as raised:
        call_command("transaction_health")
    assert raised.value.returncode == 2
    assert "Critical" in capsys.readouterr().out


@both_databases
def test_the_command_prints_a_healthy_summary_and_exits_zero(capsys):
    _fold("orders.create", commits=50)
    call_command("transaction_health", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == HEALTHY and summary["commits"] == 50
    with pytest.raises(CommandError, match="between 1 and 720"):
        call_command("transaction_health", "--hours", "0")


@both_databases
def test_old_records_are_pruned_after_their_retention(settings):
    settings.TRANSACTION_FAILURE_LOG_RETENTION_DAYS = 10
    settings.TRANSACTION_METRICS_RETENTION_DAYS = 10
    settings.TRANSACTION_HEALTH_CHECK_RETENTION_DAYS = 10
    _failure("old", hours_ago=24 * 11)
    _failure("new", hours_ago=24 * 9)
    _fold("old", commits=1, hours_ago=24 * 11)
    _fold("new", commits=1)
    monitoring = TransactionHealthCheck.objects.using("monitoring")
    monitoring.create(status=HEALTHY, checked_at=timezone.now() - timedelta(days=11))
    monitoring.create(status=HEALTHY)
    incidents = AfterCommitIncident.objects.using("monitoring")
    incidents.create(kind="task_not_sent", error_class="OSError", occurred_at=timezone.now() - timedelta(days=11))
    incidents.create(kind="task_not_sent", error_class="OSError")
    removed = prune_transaction_monitoring.apply().result
    assert removed == {
        "transactionfailurelog": 1,
        "transactionmetrics": 1,
        "transactionhealthcheck": 1,
        "aftercommitincident": 1,
    }
    assert incidents.count() == 1
    assert list(TransactionFailureLog.objects.using("monitoring").values_list("operation", flat=True)) == ["new"]
    assert list(TransactionMetrics.objects.using("monitoring").values_list("operation", flat=True)) == ["new"]
    assert monitoring.count() == 1


def test_the_coverage_audit_uses_the_analyser_over_the_project():
    audit = TransactionAuditService.audit_transaction_coverage()
    assert audit["coverage"]["entry_points"] > 0
    assert audit["files"] > 0
    assert 0 <= audit["coverage"]["percent"] <= 100
    assert all({"path", "line", "name", "kind"} <= set(entry) for entry in audit["unprotected"])


def test_the_coverage_audit_lists_unprotected_writes_with_file_and_line(tmp_path):
    services = tmp_path / "services.py"
    services.write_text("def save_two(a, b):\n    a.save()\n    b.save()\n")
    audit = TransactionAuditService.audit_transaction_coverage(paths=[tmp_path])
    assert audit["coverage"]["unprotected"] == 1
    [entry] = audit["unprotected"]
    assert (entry["name"], entry["line"]) == ("save_two", 1)


@both_databases
def test_liveness_needs_nothing_and_readiness_says_ready_and_nothing_more(client, settings):
    assert client.get("/health/live").json() == {"status": "ok"}
    TransactionHealthCheck.objects.using("monitoring").create(status=DEGRADED, failure_rate=2.0)
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@both_databases
def test_readiness_is_503_when_redis_does_not_answer_and_the_reason_goes_only_to_the_log(
    client, settings, monkeypatch, caplog
):
    from apps.core.views import health

    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    def unreachable():
        raise ConnectionError("refused by 10.1.2.3:6379")

    monkeypatch.setattr(health, "_redis", unreachable)
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert "redis (ConnectionError)" in caplog.text
    assert "10.1.2.3" not in response.content.decode()
