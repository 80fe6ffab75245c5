"""The platform report's names work beside the project's own: imports, call forms, result keys, URLs."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import resolve, reverse

from apps.core.models import TransactionFailureLog, TransactionMetrics
from apps.core.services import monitoring_metrics
from apps.core.services.monitoring_metrics import OPERATION, Bucket
from apps.core.services.transaction_monitoring_service import TransactionAuditService, TransactionMonitoringService

both_databases = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)


def failure_logs():
    return TransactionFailureLog.objects.using("monitoring")


def test_transaction_manager_is_importable_from_the_transaction_manager_module():
    from apps.core.services import saga
    from apps.core.services.transaction_manager import TransactionManager

    assert TransactionManager is saga.TransactionManager


@both_databases
def test_the_reports_saga_import_runs_a_saga():
    from apps.core.services.transaction_manager import TransactionManager

    saga = TransactionManager("report import")
    saga.add_step("group", lambda context: context.update(pk=Group.objects.create(name="made").pk))
    assert saga.execute()["pk"] == Group.objects.get(name="made").pk


@both_databases
def test_log_transaction_failure_takes_the_reports_positional_form():
    request = RequestFactory().post("/work-orders/new/")
    record = TransactionMonitoringService.log_transaction_failure(
        "work_orders.create", RuntimeError("disk full"), "WorkOrderView", request
    )
    stored = failure_logs().get(pk=record.pk)
    assert (stored.operation, stored.view_name, stored.request_path) == (
        "work_orders.create",
        "WorkOrderView",
        "/work-orders/new/",
    )
    assert stored.error_class == "builtins.RuntimeError"


@both_databases
def test_log_transaction_failure_takes_the_reports_keywords_and_todays_form():
    TransactionMonitoringService.log_transaction_failure(
        operation_name="permits.create", error=ValueError("bad"), view_name="PermitView", request=None
    )
    TransactionMonitoringService.log_transaction_failure("permits.approve", KeyError("x"), duration_ms=12.5)
    assert sorted(failure_logs().values_list("operation", "view_name")) == [
        ("permits.approve", ""),
        ("permits.create", "PermitView"),
    ]


def test_log_transaction_failure_without_an_error_is_a_type_error():
    with pytest.raises(TypeError, match="operation's name and the error"):
        TransactionMonitoringService.log_transaction_failure("permits.create")


def test_the_coverage_audit_carries_the_reports_keys():
    audit = TransactionAuditService.audit_transaction_coverage()
    assert audit["coverage_percentage"] == audit["coverage"]["percent"]
    assert audit["total_methods"] == audit["coverage"]["entry_points"]
    assert audit["with_transaction"] == audit["coverage"]["protected"]
    assert len(audit["without_transaction"]) == len(audit["unprotected"]) == audit["coverage"]["unprotected"]


@both_databases
def test_slow_transactions_carry_the_reports_keys():
    bucket = Bucket(commits=2)
    for duration in (1200, 1800):
        bucket.observe(duration, slow_ms=1000)
    hour = monitoring_metrics.current_hour(datetime.now(UTC))
    monitoring_metrics.write_buckets({(hour, OPERATION, "slow.op"): bucket})
    [row] = TransactionAuditService.get_slow_transactions(threshold_ms=1000)
    assert (row["operation_name"], row["avg_duration_ms"], row["max_duration_ms"], row["execution_count"]) == (
        "slow.op",
        1500.0,
        1800.0,
        2,
    )
    assert (row["operation"], row["average_ms"]) == ("slow.op", 1500.0)
    assert TransactionMetrics.objects.using("monitoring").count() == 1


def test_the_reports_url_names_resolve_to_the_same_pages():
    assert reverse("transaction_health_dashboard") == reverse("transaction-health-dashboard")
    assert reverse("transaction_health_api") == reverse("transaction-health-api") == "/api/transaction-health/"
    assert reverse("transaction_failure_detail", kwargs={"id": 7}) == "/api/transaction-failure/7/"
    assert reverse("transaction_failure_detail", args=[7]) == reverse("transaction-failure-api", args=[7])
    assert resolve("/api/transaction-health/").url_name == "transaction-health-api"


@both_databases
def test_the_reports_view_classes_answer_staff_by_id(admin_user):
    from rest_framework.test import APIRequestFactory, force_authenticate

    from apps.core.views.transaction_monitoring_dashboard import TransactionFailureDetailView, TransactionHealthAPI

    record = TransactionMonitoringService.log_transaction_failure("x.op", RuntimeError("boom"))
    request = APIRequestFactory().get(f"/api/transaction-failure/{record.pk}/")
    force_authenticate(request, user=admin_user)
    response = TransactionFailureDetailView.as_view()(request, id=record.pk)
    assert (response.status_code, response.data["operation"]) == (200, "x.op")
    request = APIRequestFactory().get("/api/transaction-health/", {"action": "top_failing"})
    force_authenticate(request, user=admin_user)
    assert TransactionHealthAPI.as_view()(request).data["operations"][0]["operation"] == "x.op"
