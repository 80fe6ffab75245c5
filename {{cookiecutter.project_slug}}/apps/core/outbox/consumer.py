"""The consumer side of the outbox: a task that does the work of each message once.

The outbox delivers at least once (a relay may publish a message whose first publish was not
marked, a broker redelivers the task of a killed worker), so a task sent through it writes a
``DeliveryReceipt`` under the message id, in the same transaction as its work. A second delivery
finds the receipt and returns without doing anything; two deliveries at once serialise on the
receipt's primary key: the second fails on it once the first commits, and does nothing. If the work
fails, its receipt rolls back with it, and the next delivery does the work.
"""

import logging
import uuid

from celery import Task
from django.db import DatabaseError

from apps.core.models import DeliveryReceipt
from apps.core.services.transaction_manager import atomic_view_operation, get_current_db_name

logger = logging.getLogger(__name__)


def _message_id(request):
    """The outbox message a task run delivers: its task id, when the task was published at all."""
    try:
        return uuid.UUID(str(request.id)) if request.id else None
    except ValueError:
        return None


class IdempotentTask(Task):
    """Base class for tasks sent with ``send_task_on_commit``: each message is done once.

    Called directly (``notify_vendor(pk)``, no message) the task simply runs. A database that
    does not answer (a restart, a failover) is retried with a growing delay; whatever still
    fails leaves no receipt, and the relay publishes the message again later.
    """

    autoretry_for = (DatabaseError,)
    retry_backoff = 2
    retry_backoff_max = 60
    max_retries = 5

    def __call__(self, *args, **kwargs):
        message_id = _message_id(self.request)
        if message_id is None or self.request.called_directly:
            return super().__call__(*args, **kwargs)
        alias = get_current_db_name()
        receipts = DeliveryReceipt.objects.using(alias)
        if receipts.filter(message_id=message_id).exists():
            logger.info("task %s: message %s was done already; not again", self.name, message_id)
            return None
        # Two deliveries at once: the second's insert waits for the first's transaction, then
        # fails on the primary key, and its work rolls back unseen (counted as a failed run).
        with atomic_view_operation(using=alias, name=f"task {self.name}"):
            receipts.create(message_id=message_id, task_name=self.name)
            return super().__call__(*args, **kwargs)
