"""A stuck task outbox makes the health Degraded, shows on the dashboard, and never takes a node out."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.core.models import OutboxMessage, TransactionHealthCheck
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService

pytestmark = pytest.mark.django_db(databases=["default", "monitoring"])


def _pending(seconds_ago, **fields):
    return OutboxMessage.objects.create(
        task_name="notify", created_at=timezone.now() - timedelta(seconds=seconds_ago), **fields
    )


def test_a_message_waiting_longer_than_the_limit_makes_the_health_degraded(settings):
    settings.OUTBOX_STUCK_AFTER_SECONDS = 300
    _pending(301)
    _pending(5)
    _pending(900, published_at=timezone.now())  # published: not waiting
    summary = TransactionMonitoringService.get_transaction_health_summary(hours=1)
    assert summary["status"] == TransactionHealthCheck.Status.DEGRADED
    assert summary["outbox"]["pending"] == 2
    assert summary["outbox"]["stuck"]
    assert any("2 task(s) waiting in the outbox" in reason for reason in summary["reasons"])


def test_young_pending_messages_are_healthy(settings):
    settings.OUTBOX_STUCK_AFTER_SECONDS = 300
    _pending(10)
    summary = TransactionMonitoringService.get_transaction_health_summary(hours=1)
    assert summary["status"] == TransactionHealthCheck.Status.HEALTHY
    assert (summary["outbox"]["pending"], summary["outbox"]["stuck"]) == (1, False)


def test_the_command_prints_the_backlog_and_a_stuck_outbox_does_not_exit_critical(settings, capsys):
    settings.OUTBOX_STUCK_AFTER_SECONDS = 60
    _pending(120)
    call_command("transaction_health", "--hours", "1")
    out = capsys.readouterr().out
    assert "Degraded" in out
    assert "task outbox: 1 pending, the oldest for 12" in out


def test_the_dashboard_shows_the_backlog(admin_client, settings):
    settings.OUTBOX_STUCK_AFTER_SECONDS = 60
    _pending(120)
    page = admin_client.get("/admin/transaction-health/").content.decode()
    assert 'id="task-outbox"' in page
    assert "<strong>1</strong> pending, the oldest for 12" in page
    assert "stuck" in page


def test_a_stuck_outbox_keeps_the_node_ready(client, settings):
    settings.OUTBOX_STUCK_AFTER_SECONDS = 60
    _pending(3600)
    ready = client.get("/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
