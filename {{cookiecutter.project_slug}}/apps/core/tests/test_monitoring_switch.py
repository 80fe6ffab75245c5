"""TRANSACTION_MONITORING_ENABLED = False stops the watching, and only the watching."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from apps.core.models import SagaExecutionLog, TransactionFailureLog, TransactionHealthCheck, TransactionMetrics
from apps.core.services import monitoring_metrics
from apps.core.services.saga import TransactionManager
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService
from apps.core.testing import InjectedFault

pytestmark = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)


@pytest.fixture(autouse=True)
def fresh_counts():
    monitoring_metrics.drain()
    yield
    monitoring_metrics.drain()


@atomic_view_operation(name="switch.create_group")
def create_group(name, fail=False):
    Group.objects.create(name=name)
    if fail:
        raise InjectedFault("step two failed")


def run_operations():
    create_group("kept")
    with pytest.raises(InjectedFault):
        create_group("gone", fail=True)
    TransactionMonitoringService.log_transaction_failure("switch.direct", RuntimeError("direct"))
    TransactionMonitoringService.wait_for_deferred_records()
    monitoring_metrics.fold()


def monitoring_rows():
    return (
        TransactionFailureLog.objects.using("monitoring").count(),
        TransactionMetrics.objects.using("monitoring").count(),
    )


def test_switched_off_nothing_is_logged_or_counted_and_the_saga_log_still_works(settings):
    settings.TRANSACTION_MONITORING_ENABLED = False
    run_operations()
    assert monitoring_rows() == (0, 0)
    assert list(Group.objects.values_list("name", flat=True)) == ["kept"], "transactions work the same"
    TransactionManager("switched off").add_step("a", lambda context: None).execute()
    assert SagaExecutionLog.objects.using("monitoring").get().status == SagaExecutionLog.Status.COMPLETED


def test_switched_on_the_same_operations_are_logged_and_counted(settings):
    settings.TRANSACTION_MONITORING_ENABLED = True
    run_operations()
    failures, metric_rows = monitoring_rows()
    assert failures == 2 and metric_rows == 1


def _critical_window():
    TransactionFailureLog.objects.using("monitoring").create(
        operation="orders.create", error_class="x.Deadlock", category=TransactionFailureLog.Category.DEADLOCK
    )


def test_turning_critical_mails_the_admins_once_and_logs(settings, caplog):
    settings.ADMINS = [("Ops", "ops@example.com")]
    TransactionMonitoringService.take_health_snapshot()
    assert mail.outbox == []
    _critical_window()
    first = TransactionMonitoringService.take_health_snapshot()
    again = TransactionMonitoringService.take_health_snapshot()
    assert first.status == again.status == TransactionHealthCheck.Status.CRITICAL
    assert len(mail.outbox) == 1, "once per change to Critical, not per check"
    assert mail.outbox[0].to == ["ops@example.com"]
    assert "Critical" in mail.outbox[0].subject and "deadlock" in mail.outbox[0].body
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"][0].startswith(
        "Transaction health is Critical"
    )


def test_critical_again_after_recovering_is_a_new_change(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    _critical_window()
    TransactionMonitoringService.take_health_snapshot()
    TransactionFailureLog.objects.using("monitoring").all().delete()
    assert TransactionMonitoringService.take_health_snapshot().status == TransactionHealthCheck.Status.HEALTHY
    _critical_window()
    TransactionMonitoringService.take_health_snapshot()
    assert len(mail.outbox) == 2
