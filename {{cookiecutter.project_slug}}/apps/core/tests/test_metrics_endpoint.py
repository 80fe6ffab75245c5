"""/metrics exposes the transaction and lock figures for Prometheus (removed when the option is off)."""

import pytest
from django.contrib.auth.models import Group

from apps.core.services.transaction_manager import atomic_view_operation


@atomic_view_operation(name="metrics endpoint probe")
def probe():
    Group.objects.create(name="probe")


@pytest.mark.django_db(transaction=True)
def test_metrics_show_transactions_by_operation_and_outcome(client):
    probe()
    body = client.get("/metrics").content.decode()
    assert 'transactions_total{operation="metrics endpoint probe",outcome="commit"}' in body
    assert "transaction_duration_seconds_bucket" in body
    assert "distributed_lock_timeouts_total" in body or "distributed_lock_wait_seconds" in body
