"""Periodic monitoring work, run by Celery beat (see ``CELERY_BEAT_SCHEDULE``).

Each task writes only through the monitoring connection. Folding also happens in every web and
worker process at the end of a request or task once the fold interval has passed; the beat task
covers the worker that runs it and processes that have been idle.

Tasks run as the system: they are not scoped to a client (``apps.core.access``); what they touch
was chosen by the committed write that scheduled them.
"""

import logging

from celery import shared_task

from apps.core.services import monitoring_metrics
from apps.core.services.saga import recover_stuck_sagas
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService

logger = logging.getLogger(__name__)


@shared_task(name="core.fold_transaction_metrics", ignore_result=True)
def fold_transaction_metrics():
    """Add this process's in-memory transaction counts to ``TransactionMetrics``; return the rows touched."""
    return monitoring_metrics.fold()


@shared_task(name="core.take_transaction_health_snapshot", ignore_result=True)
def take_transaction_health_snapshot():
    """Fold, then judge the recent window against the thresholds and store a ``TransactionHealthCheck``."""
    monitoring_metrics.fold()
    snapshot = TransactionMonitoringService.take_health_snapshot()
    if snapshot.status != snapshot.Status.HEALTHY:
        logger.warning(
            "transactions are %s: %s", snapshot.get_status_display(), "; ".join(snapshot.reasons) or "see dashboard"
        )
    return snapshot.status


@shared_task(name="core.prune_transaction_monitoring", ignore_result=True)
def prune_transaction_monitoring():
    """Delete failure records, metrics and health checks older than their retention settings."""
    return TransactionMonitoringService.prune()


@shared_task(name="core.recover_stuck_sagas", ignore_result=True)
def recover_stuck_sagas_task():
    """Compensate the saga runs a crash left RUNNING past ``SAGA_RECOVERY_TIMEOUT``; return how many."""
    return len(recover_stuck_sagas())


@shared_task(name="core.relay_outbox", ignore_result=True)
def relay_outbox():
    """Publish the outbox messages still pending on every tenant's alias; return how many went out."""
    from apps.core.outbox.relay import relay_every_alias

    results = relay_every_alias()
    for alias, (published, failed, held) in results.items():
        if failed:
            logger.warning(
                "outbox on %s: %d published, %d refused by the broker, %d held back", alias, published, failed, held
            )
    return sum(published for published, _, _ in results.values())


@shared_task(name="core.prune_outbox_and_idempotency_keys", ignore_result=True)
def prune_outbox_and_idempotency_keys():
    """Delete published outbox messages, delivery receipts and idempotency keys past their retention."""
    from apps.core.idempotency import keys
    from apps.core.outbox.relay import prune_delivered
    from apps.core.services.database_aliases import tenant_aliases

    return {alias: (prune_delivered(alias), keys.prune(alias)) for alias in tenant_aliases()}
