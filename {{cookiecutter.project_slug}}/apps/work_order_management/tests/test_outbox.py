"""The task outbox with a real Redis broker: a committed write's task is never lost, and done once.

The broker is made unreachable by pointing the Celery app at a closed port, the way a stopped
Redis answers, and brought back by pointing it at the configured Redis again. Tasks go to a fresh
queue of their own, read back from Redis to see what was published and in which order.
"""

import io
import json
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction

from apps.core.models import DeliveryReceipt, OutboxMessage
from apps.core.outbox.relay import relay
from apps.core.services.transaction_manager import send_task_on_commit
from apps.core.testing import InjectedFault
from apps.work_order_management.models import WorkOrderHistory
from apps.work_order_management.services import create_work_order, create_work_permit, update_work_order
from apps.work_order_management.tasks import notify_vendor, notify_verifiers

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="the outbox's broker tests need a Redis broker: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every connection."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server refused the connection")


@pytest.fixture
def broker():
    """Publish for real (not eagerly) to a fresh queue; yield a switch ``up(bool)`` and the queue's reader."""
    import redis

    from config.celery_app import app

    queue = f"outbox-test-{uuid.uuid4().hex[:12]}"
    saved = {name: app.conf[name] for name in ("task_always_eager", "task_default_queue", "broker_url")}
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def point_at(url):
        # New connections to the new address; kombu keeps the old pools (and reuses them when
        # the address comes back), so they are left open rather than closed under it.
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = url

    def up(is_up):
        point_at(settings.CELERY_BROKER_URL if is_up else CLOSED_PORT_BROKER)

    def published():
        """The ids of the tasks on the queue, oldest first (kombu pushes left, workers pop right)."""
        return [json.loads(raw)["headers"]["id"] for raw in reversed(client.lrange(queue, 0, -1))]

    app.conf.update(task_always_eager=False, task_default_queue=queue)
    try:
        yield up, published
    finally:
        point_at(saved.pop("broker_url"))
        app.conf.update(saved)
        client.delete(queue, f"_kombu.binding.{queue}")
        client.close()


@contextmanager
def broker_down(up):
    up(False)
    try:
        yield
    finally:
        up(True)


def test_a_rolled_back_operation_records_and_sends_nothing(broker, author, site_bt, permit_type, approvers, details):
    up, published = broker
    with pytest.raises(InjectedFault), transaction.atomic():
        create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
        raise InjectedFault("the caller fails after the permit was created")
    assert OutboxMessage.objects.count() == 0
    assert published() == []


def test_a_committed_write_is_answered_while_the_broker_is_down_and_its_task_is_sent_by_the_relay_later(
    broker, author, site_bt, permit_type, approvers, details
):
    up, published = broker
    with broker_down(up):
        permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
        [message] = OutboxMessage.objects.all()
        assert (message.task_name, message.args, message.published_at) == (notify_verifiers.name, [permit.pk], None)
        assert "Connection refused" in message.last_error
        assert relay("default", older_than=0) == (0, 1, 0)  # still down: stays pending
    assert OutboxMessage.objects.backlog()[0] == 1
    assert published() == []

    assert relay("default", older_than=0) == (1, 0, 0)
    assert published() == [str(message.pk)]
    message.refresh_from_db()
    assert message.published_at is not None
    assert OutboxMessage.objects.backlog() == (0, None)
    assert relay("default", older_than=0) == (0, 0, 0)  # published once, not again


def test_the_relay_leaves_young_messages_to_the_process_that_committed_them(
    broker, author, site_bt, permit_type, approvers, details
):
    up, published = broker
    with broker_down(up):
        create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert relay("default", older_than=3600) == (0, 0, 0)
    assert published() == []


def test_tasks_about_one_work_order_are_published_in_the_order_they_were_sent(broker, author, vendor, asset):
    up, published = broker
    with broker_down(up):
        order = create_work_order(author=author, description="Replace the filters", vendor=vendor, asset=asset)
    # The broker is back, but the order's first notice still waits: the second waits behind it.
    update_work_order(author=author, workorder=order, workstatus="INPROGRESS")
    assert published() == []
    first, second = OutboxMessage.objects.order_by("created_at")
    assert [first.args[1], second.args[1]] == [WorkOrderHistory.Action.CREATED, WorkOrderHistory.Action.STATUS_CHANGED]

    assert relay("default", older_than=0) == (2, 0, 0)
    assert published() == [str(first.pk), str(second.pk)]


def test_relay_outbox_command_publishes_and_reports(broker, author, site_bt, permit_type, approvers, details):
    up, published = broker
    with broker_down(up):
        create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    out = io.StringIO()
    call_command("relay_outbox", "--older-than", "0", "--database", "default", stdout=out)
    assert out.getvalue() == "default: 1 published, 0 refused by the broker, 0 held back; 0 pending\n"
    assert len(published()) == 1


def test_a_message_delivered_twice_is_done_once(author, site_bt, permit_type, approvers, details):
    permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    mail.outbox.clear()
    message_id = str(uuid.uuid4())
    notify_verifiers.apply(args=[permit.pk], task_id=message_id)
    notify_verifiers.apply(args=[permit.pk], task_id=message_id)
    assert len(mail.outbox) == 1
    assert DeliveryReceipt.objects.filter(message_id=message_id, task_name=notify_verifiers.name).count() == 1
    # Another message about the same permit is other work: done too.
    notify_verifiers.apply(args=[permit.pk], task_id=str(uuid.uuid4()))
    assert len(mail.outbox) == 2


def test_a_failed_delivery_leaves_no_receipt_so_the_next_one_does_the_work(author, vendor, asset, settings):
    order = create_work_order(author=author, description="Replace the filters", vendor=vendor, asset=asset)
    mail.outbox.clear()
    message_id = str(uuid.uuid4())
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with pytest.raises(ConnectionRefusedError):
        notify_vendor.apply(args=[order.pk, WorkOrderHistory.Action.CREATED], task_id=message_id)
    assert not DeliveryReceipt.objects.filter(message_id=message_id).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notify_vendor.apply(args=[order.pk, WorkOrderHistory.Action.CREATED], task_id=message_id)
    assert len(mail.outbox) == 1
    assert DeliveryReceipt.objects.filter(message_id=message_id).exists()


def test_only_idempotent_tasks_can_be_sent_through_the_outbox():
    from celery import shared_task

    @shared_task(name="tests.not_idempotent")
    def not_idempotent():
        return None

    with pytest.raises(TypeError, match="IdempotentTask"):
        send_task_on_commit(not_idempotent)


def test_a_published_task_that_left_no_receipt_is_published_again_until_its_deliveries_run_out(
    broker, author, site_bt, permit_type, approvers, details, settings
):
    up, published = broker
    settings.OUTBOX_MAX_DELIVERIES = 2
    create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    [message] = OutboxMessage.objects.all()
    assert published() == [str(message.pk)]  # published after the commit; no worker took it
    assert relay("default", older_than=0, redeliver_after=3600) == (0, 0, 0)  # not yet overdue

    assert relay("default", older_than=0, redeliver_after=0) == (1, 0, 0)
    assert published() == [str(message.pk)] * 2
    assert relay("default", older_than=0, redeliver_after=0) == (0, 0, 0)  # two deliveries: the last
    message.refresh_from_db()
    assert message.attempts == 2


def test_a_delivered_task_is_not_published_again(broker, author, site_bt, permit_type, approvers, details):
    up, published = broker
    create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    [message] = OutboxMessage.objects.all()
    DeliveryReceipt.objects.create(message_id=message.pk, task_name=message.task_name)
    assert relay("default", older_than=0, redeliver_after=0) == (0, 0, 0)
    assert published() == [str(message.pk)]
