"""Publish what the after-commit publish could not: the outbox's recovery path.

A message is pending when its operation committed but the publish right after did not happen or
failed: the broker was down, or the process died between the commit and the publish. The relay
takes pending messages older than ``OUTBOX_RELAY_DELAY`` (so it does not race the after-commit
publish), oldest first, on every tenant's alias. It claims a batch for ``OUTBOX_CLAIM_SECONDS``
(other relays skip claimed rows), publishes each message outside any transaction and marks it;
when one fails, the later messages about the same record wait for the next run, so they are
published in the order they were recorded.

A published message whose task has left no ``DeliveryReceipt`` after ``OUTBOX_REDELIVER_AFTER``
seconds was lost on the way (a broker that lost its queue, a task that failed and was acknowledged
all the same): the relay publishes it again, up to ``OUTBOX_MAX_DELIVERIES`` times in all.
"""

import datetime

from django.conf import settings
from django.db import connections
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.core.models import DeliveryReceipt, OutboxMessage
from apps.core.services.database_aliases import tenant_aliases
from apps.core.services.transaction_manager import atomic_view_operation

from .sending import is_held_back, note_publish_failure, publish


def _claim(alias, *, older_than, redeliver_after, batch_size):
    """Claim up to ``batch_size`` messages of ``alias`` to publish, oldest first; return them.

    Pending messages older than ``older_than`` seconds, and published ones without a receipt
    after ``redeliver_after`` seconds that have deliveries left.
    """
    now = timezone.now()
    pending = Q(published_at__isnull=True, created_at__lte=now - datetime.timedelta(seconds=older_than))
    undelivered = Q(
        ~Exists(DeliveryReceipt.objects.using(alias).filter(message_id=OuterRef("pk"))),
        published_at__lte=now - datetime.timedelta(seconds=redeliver_after),
        attempts__lt=settings.OUTBOX_MAX_DELIVERIES,
    )
    candidates = OutboxMessage.objects.using(alias).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), pending | undelivered
    )
    with atomic_view_operation(using=alias, name="core.outbox.claim"):
        if connections[alias].features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.order_by("created_at").values_list("pk", flat=True)[:batch_size])
        until = now + datetime.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
        OutboxMessage.objects.using(alias).filter(pk__in=ids).update(claimed_until=until)
    return list(OutboxMessage.objects.using(alias).filter(pk__in=ids).order_by("created_at"))


def relay(alias, *, older_than=None, redeliver_after=None, batch_size=None):
    """Publish the pending (and lost) messages of ``alias``; return ``(published, failed, held back)``."""
    older_than = settings.OUTBOX_RELAY_DELAY if older_than is None else older_than
    redeliver_after = settings.OUTBOX_REDELIVER_AFTER if redeliver_after is None else redeliver_after
    batch_size = batch_size or settings.OUTBOX_RELAY_BATCH_SIZE
    published = failed = held = 0
    waiting_records = set()
    claimed = _claim(alias, older_than=older_than, redeliver_after=redeliver_after, batch_size=batch_size)
    for message in claimed:
        if message.ordering_key and (message.ordering_key in waiting_records or is_held_back(message, alias)):
            waiting_records.add(message.ordering_key)
            OutboxMessage.objects.using(alias).filter(pk=message.pk).update(claimed_until=None)
            held += 1
            continue
        try:
            publish(message, alias)
        except Exception as error:  # noqa: BLE001 - stays pending for the next run
            note_publish_failure(message, alias, error)
            if message.ordering_key:
                waiting_records.add(message.ordering_key)
            failed += 1
        else:
            published += 1
    return published, failed, held


def relay_every_alias(**options):
    """``relay`` on every tenant's alias; return ``{alias: (published, failed, held back)}``."""
    return {alias: relay(alias, **options) for alias in tenant_aliases()}


def prune_delivered(alias, *, days=None):
    """Delete published messages and receipts older than ``OUTBOX_RETENTION_DAYS``; return how many."""
    days = settings.OUTBOX_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    messages, _ = OutboxMessage.objects.using(alias).filter(published_at__lt=cutoff).delete()
    receipts, _ = DeliveryReceipt.objects.using(alias).filter(delivered_at__lt=cutoff).delete()
    return messages + receipts
