"""Under tenant routing each tenant's outbox lives in its own database, and one relay serves them all."""

import pytest
from celery import shared_task
from django.contrib.auth.models import Group

from apps.core.models import DeliveryReceipt, OutboxMessage
from apps.core.outbox.consumer import IdempotentTask
from apps.core.outbox.relay import relay_every_alias
from apps.core.services.transaction_manager import (
    atomic_view_operation,
    get_current_db_name,
    send_task_on_commit,
    use_database,
)

pytestmark = pytest.mark.django_db(databases=["default", "tenant_b"], transaction=True)

runs = []
broker_refuses = []


@shared_task(name="tests.outbox.note_group", base=IdempotentTask)
def note_group(name):
    """Eagerly run when published: "refusing" makes the publish fail, as a broker that is down."""
    if broker_refuses:
        raise ConnectionRefusedError("the broker refused the message")
    runs.append((name, get_current_db_name()))


@atomic_view_operation()
def add_group(name):
    Group.objects.create(name=name)
    send_task_on_commit(note_group, name)


@pytest.fixture(autouse=True)
def clean_runs():
    runs.clear()
    broker_refuses.clear()
    yield
    broker_refuses.clear()


def test_a_tenants_task_is_recorded_in_its_database_and_runs_there():
    with use_database("tenant_b"):
        add_group("night shift")
    [message] = OutboxMessage.objects.using("tenant_b").all()
    assert message.published_at is not None
    assert not OutboxMessage.objects.using("default").exists()
    assert runs == [("night shift", "tenant_b")]
    assert DeliveryReceipt.objects.using("tenant_b").filter(message_id=message.pk).exists()


def test_the_relay_publishes_what_each_tenant_could_not():
    broker_refuses.append(True)
    with use_database("tenant_b"):
        add_group("on tenant b")
    add_group("on default")
    assert runs == []
    assert OutboxMessage.objects.using("tenant_b").pending().count() == 1
    assert OutboxMessage.objects.using("default").pending().count() == 1

    broker_refuses.clear()
    results = relay_every_alias(older_than=0)
    assert results == {"default": (1, 0, 0), "tenant_b": (1, 0, 0)}
    assert sorted(runs) == [("on default", "default"), ("on tenant b", "tenant_b")]
    assert not OutboxMessage.objects.using("tenant_b").pending().exists()
