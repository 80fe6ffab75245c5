"""Record a task with the write that sends it, and publish it once that write has committed."""

import logging

from celery import current_app
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from prometheus_client import Counter

from apps.core.models import OutboxMessage
from apps.core.services.transaction_manager import TASK_NOT_SENT, get_current_db_name, on_commit, use_database

logger = logging.getLogger(__name__)

PUBLISH_FAILURES = Counter(
    "outbox_publish_failures_total", "Outbox messages the broker refused; the relay publishes them later", ["task"]
)


def record_task(task, args=(), kwargs=None, *, about=None, using=None):
    """Record ``task(*args, **kwargs)`` in the current transaction and publish it after its commit.

    ``task`` must be built on ``IdempotentTask``: the message may be delivered more than once.
    ``about`` is the model instance the task is about: messages about one record are published in
    the order they were recorded. Returns the ``OutboxMessage``.
    """
    from .consumer import IdempotentTask

    if not isinstance(task, IdempotentTask):
        raise TypeError(
            f"{task.name} is sent through the outbox and may be delivered twice: declare it with "
            "@shared_task(base=IdempotentTask) (apps.core.outbox.consumer)"
        )
    alias = using or get_current_db_name()
    message = OutboxMessage.objects.using(alias).create(
        task_name=task.name, args=list(args), kwargs=dict(kwargs or {}), ordering_key=record_key(about)
    )

    def publish_recorded_task():
        publish_if_next(message.pk, alias, raise_refusal=True)

    # A refusal is a "task not sent" after-commit incident; the message waits for the relay.
    on_commit(publish_recorded_task, using=alias, incident=TASK_NOT_SENT, action=task.name)
    return message


def record_key(instance):
    """The ordering key of the messages about ``instance`` (``app_label.model:pk``); "" for none."""
    if instance is None:
        return ""
    return f"{instance._meta.label_lower}:{instance.pk}"


def publish_if_next(message_id, alias, *, raise_refusal=False):
    """Publish a committed message unless it is published already or an earlier one of its record waits.

    A broker that refuses the message leaves it to the relay; the refusal is raised only with
    ``raise_refusal`` (for ``on_commit`` to record it as an incident). Returns whether the message
    was published.
    """
    with use_database(alias):
        message = OutboxMessage.objects.using(alias).filter(pk=message_id, published_at__isnull=True).first()
        if message is None or is_held_back(message, alias):
            return False
        try:
            publish(message, alias)
        except Exception as error:  # noqa: BLE001 - the relay publishes it later
            note_publish_failure(message, alias, error)
            if raise_refusal:
                raise
            return False
        return True


def is_held_back(message, alias):
    """True when an earlier message about the same record has not been published yet."""
    if not message.ordering_key:
        return False
    earlier = OutboxMessage.objects.using(alias).filter(
        ordering_key=message.ordering_key, published_at__isnull=True, created_at__lt=message.created_at
    )
    return earlier.exists()


def publish(message, alias):
    """Hand ``message`` to the broker under its own id, then mark it published. Raises what the broker raises.

    The Celery task id is the message id, which is what ``IdempotentTask`` writes its receipt
    under. Publishing is not retried here (``retry=False``): a message that could not be sent
    stays pending and the relay sends it, so a broker outage costs a request no waiting.
    """
    task = current_app.tasks[message.task_name]
    with use_database(alias):
        task.apply_async(
            args=message.args,
            kwargs=message.kwargs,
            task_id=str(message.pk),
            retry=settings.OUTBOX_PUBLISH_RETRY,
        )
    OutboxMessage.objects.using(alias).filter(pk=message.pk).update(
        published_at=timezone.now(), claimed_until=None, attempts=F("attempts") + 1, last_error=""
    )


def note_publish_failure(message, alias, error):
    """Log and count a message the broker refused, and keep why on the message for the relay."""
    PUBLISH_FAILURES.labels(task=message.task_name).inc()
    logger.warning("task %s (%s) not sent: %s; the outbox relay will send it", message.task_name, message.pk, error)
    try:
        OutboxMessage.objects.using(alias).filter(pk=message.pk).update(
            attempts=F("attempts") + 1, claimed_until=None, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
    except Exception:  # noqa: BLE001 - the message stays pending all the same
        logger.exception("could not note the failure on outbox message %s", message.pk)
