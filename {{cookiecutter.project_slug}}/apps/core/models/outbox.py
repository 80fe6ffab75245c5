"""The task outbox: the tasks a write path sends, recorded in the write's own transaction.

A row of ``OutboxMessage`` commits or rolls back with the rows it is about, so a task is sent
for every committed operation and for no rolled-back one. It is published to the broker right
after the commit; whatever could not be published then (the broker was down, the process was
killed between commit and publish) is published later by the relay (``apps.core.outbox``).

Delivery is at least once, so the tasks are idempotent: ``DeliveryReceipt`` is written by the
task, in the transaction that does its work, under the message's id; a second delivery of the
same message finds the receipt and does nothing.

Both tables live on the alias of the operation that sent the task: under tenant routing each
tenant's database holds its own outbox, and the relay serves every alias.
"""

import uuid

from django.db import models
from django.utils import timezone


class OutboxMessageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(published_at__isnull=True)

    def backlog(self, now=None):
        """``(pending messages, age in seconds of the oldest one or None)``, in one query."""
        figures = self.pending().aggregate(count=models.Count("pk"), oldest=models.Min("created_at"))
        oldest = figures["oldest"]
        age = ((now or timezone.now()) - oldest).total_seconds() if oldest else None
        return figures["count"], age


class OutboxMessage(models.Model):
    """One Celery task a committed operation sent: its name, its arguments, whether it was published."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    #: Messages with the same key are published in the order they were recorded; an unpublished
    #: one holds back the later ones (``app_label.model:pk`` of the record they are about).
    ordering_key = models.CharField(max_length=200, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    #: A relay publishing the message holds it until then; another relay leaves it alone.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        verbose_name = "outbox message"

    def __str__(self):
        state = "published" if self.published_at else "pending"
        return f"{self.task_name} ({state})"


class DeliveryReceipt(models.Model):
    """A task did the work of the outbox message ``message_id``: a redelivery of it does nothing."""

    message_id = models.UUIDField(primary_key=True)
    task_name = models.CharField(max_length=200)
    delivered_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-delivered_at"]
        verbose_name = "delivery receipt"

    def __str__(self):
        return f"{self.task_name} {self.message_id}"
