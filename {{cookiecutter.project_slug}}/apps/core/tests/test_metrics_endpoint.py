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


TOKEN = "scrape-token-0123456789abcdefghijklmnop"


@pytest.mark.django_db
def test_with_a_token_set_metrics_need_it_as_a_bearer_token(client, settings):
    settings.METRICS_BEARER_TOKEN = TOKEN
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"transactions_total" not in anonymous.content
    for wrong in (f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "):
        assert client.get("/metrics", HTTP_AUTHORIZATION=wrong).status_code == 401, wrong
    scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert scraped.status_code == 200
    assert b"transaction_duration_seconds" in scraped.content


@pytest.mark.django_db
def test_without_a_token_metrics_are_switched_off_where_they_are_not_open(client, settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_OPEN_WITHOUT_TOKEN = False
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


def test_production_settings_switch_metrics_off_without_a_token_and_local_settings_keep_them_open():
    from apps.core.tests.test_settings import settings_of

    names = ("METRICS_BEARER_TOKEN", "METRICS_OPEN_WITHOUT_TOKEN")
    production = settings_of("config.settings.production", names, METRICS_BEARER_TOKEN="")
    local = settings_of("config.settings.local", names, METRICS_BEARER_TOKEN="")
    assert (production["METRICS_BEARER_TOKEN"], production["METRICS_OPEN_WITHOUT_TOKEN"]) == ("", False)
    assert (local["METRICS_BEARER_TOKEN"], local["METRICS_OPEN_WITHOUT_TOKEN"]) == ("", True)
    with_token = settings_of("config.settings.production", names, METRICS_BEARER_TOKEN=TOKEN)
    assert with_token["METRICS_BEARER_TOKEN"] == TOKEN


@pytest.mark.django_db
def test_metrics_show_the_task_outbox_backlog(client):
    from datetime import timedelta

    from django.utils import timezone

    from apps.core.models import OutboxMessage

    OutboxMessage.objects.create(task_name="t", created_at=timezone.now() - timedelta(seconds=90))
    OutboxMessage.objects.create(task_name="t", published_at=timezone.now())
    body = client.get("/metrics").content.decode()
    assert 'outbox_pending_messages{alias="default"} 1.0' in body
    [age] = [line for line in body.splitlines() if line.startswith('outbox_oldest_pending_seconds{alias="default"}')]
    assert float(age.rsplit(" ", 1)[1]) >= 90
