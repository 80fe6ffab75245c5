"""The callers' mistakes are rejections, counted apart; only the system's failures move the health.

Forty commits and sixteen client mistakes (malformed JSON, a wrong content type, invalid fields,
duplicate codes) leave the status Healthy with no failure, and every place that shows the figures
(the summary, ``/metrics``, the monitoring API, the dashboard, ``manage.py transaction_health``)
shows the sixteen as rejected.
"""

import io
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.core.models import TransactionFailureLog
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService
from apps.core.tests.prometheus import metrics_text

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

MISTAKES = [
    ({"data": "{not json", "content_type": "application/json"}, 400),
    ({"data": "code=V1&name=x", "content_type": "text/plain"}, 415),
    ({"data": {"code": "", "name": ""}, "format": "json"}, 400),
    ({"data": {"code": "V0", "name": "Again"}, "format": "json"}, 409),
]


def _rejected_in_metrics(text):
    total = 0.0
    for line in text.splitlines():
        if line.startswith("transactions_total{") and 'outcome="rejected"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_sixteen_mistakes_among_forty_commits_leave_the_health_healthy(api_client, client, django_user_model):
    monitoring_metrics.drain()  # what earlier tests of this process counted
    metrics_before = _rejected_in_metrics(metrics_text(client))
    for number in range(40):
        response = api_client.post(
            "/api/v1/vendors/", {"code": f"V{number}", "name": f"Vendor {number}"}, format="json"
        )
        assert response.status_code == 201, response.content
    for _ in range(4):
        for request, status in MISTAKES:
            assert api_client.post("/api/v1/vendors/", **request).status_code == status

    monitoring_metrics.fold()
    summary = TransactionMonitoringService.get_transaction_health_summary(hours=1)
    assert (summary["commits"], summary["rejections"], summary["failures"]) == (40, 16, 0)
    assert (summary["status"], summary["failure_rate"]) == ("healthy", 0.0)
    assert summary["rejection_rate"] == round(100 * 16 / 56, 3)
    assert not TransactionFailureLog.objects.using("monitoring").exists()
    assert _rejected_in_metrics(metrics_text(client)) - metrics_before == 16

    out = io.StringIO()
    call_command("transaction_health", "--hours", "1", stdout=out)  # exits 0: no CommandError
    assert re.search(r"40 committed, 16 rejected, 0 failed", out.getvalue())
    assert "Healthy" in out.getvalue()

    staff = django_user_model.objects.create_user(username="ops", password="x", is_staff=True)
    monitoring = APIClient()
    monitoring.force_authenticate(staff)
    figures = monitoring.get("/api/transaction-health/", {"action": "health_summary", "hours": 1}).json()
    assert (figures["status"], figures["rejections"], figures["failures"]) == ("healthy", 16, 0)
    client.force_login(staff)
    page = client.get("/admin/transaction-health/?hours=1").content.decode()
    assert re.search(r'id="kpi-rejected"><div class="k">Rejected</div><div class="v">16<', page)


def test_a_failure_of_the_system_is_still_a_failure(api_client, author):
    from apps.core.testing import fault_at

    monitoring_metrics.drain()
    with fault_at("apps.work_order_management.api", "create_vendor"):
        response = api_client.post("/api/v1/vendors/", {"code": "V1", "name": "One"}, format="json")
    assert response.status_code == 500
    monitoring_metrics.fold()
    summary = TransactionMonitoringService.get_transaction_health_summary(hours=1)
    assert (summary["rejections"], summary["failures"]) == (0, 1)
    assert summary["status"] == "critical"
