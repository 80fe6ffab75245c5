"""What went wrong after an operation's transaction had ended, recorded apart from its outcome.

Once a transaction has committed, the caller is told it succeeded, and nothing that runs
afterwards may change that answer: a task that could not be sent (the broker is down), a lock
that could not be released (Redis went away), an after-commit callback that raised. Each of those
is an incident of its own: logged with its traceback, counted in ``/metrics``
(``transaction_after_commit_incidents_total{kind}``) and written to ``AfterCommitIncident``
through the monitoring connection, where the dashboard, the JSON API and
``manage.py transaction_health`` show it. ``record_incident`` never raises.
"""

import logging

from django.conf import settings

from apps.core.models import AfterCommitIncident

from . import monitoring_metrics
from .correlation import get_correlation_id, get_current_request, get_entry_point
from .transaction_monitoring_service import (
    MAX_MESSAGE_LENGTH,
    error_location,
    must_wait_for_the_operation,
    redact_text,
    save_after_the_operation,
)

logger = logging.getLogger(__name__)

Kind = AfterCommitIncident.Kind


def record_incident(kind, action, error, *, operation="", database_alias=""):
    """Log, count and record that ``action`` failed with ``error`` after the transaction ended.

    Returns the record (None when it could not be written, or monitoring is switched off). Never
    raises: an incident that cannot be written is still logged and counted.
    """
    kind = Kind(kind)
    try:
        logger.error(
            "%s after the transaction of %s: %s (%s: %s)",
            kind.label,
            operation or "an operation",
            action,
            type(error).__name__,
            error,
            exc_info=(type(error), error, error.__traceback__),
            extra={"incident": str(kind), "operation": operation, "action": action},
        )
        monitoring_metrics.AFTER_COMMIT_INCIDENTS.labels(str(kind)).inc()
    except Exception:  # noqa: BLE001 - reporting an incident must never become one
        pass
    if not monitoring_metrics.monitoring_enabled():
        return None
    try:
        record = _build(kind, action, error, operation, database_alias)
        if must_wait_for_the_operation(database_alias):
            save_after_the_operation(record, "after-commit incident")
            return record
        record.save(using=settings.MONITORING_DB_ALIAS)
        return record
    except Exception:  # noqa: BLE001 - see above
        monitoring_metrics.AFTER_COMMIT_INCIDENTS_LOST.inc()
        logger.exception("could not write the after-commit incident of %s (%s)", operation, action)
        return None


def _build(kind, action, error, operation, database_alias):
    request = get_current_request()
    record = AfterCommitIncident(
        kind=kind,
        operation=str(operation)[:255],
        action=redact_text(str(action))[:255],
        view_name=get_entry_point()[:255],
        error_class=f"{type(error).__module__}.{type(error).__qualname__}"[:255],
        error_message=redact_text(str(error))[:MAX_MESSAGE_LENGTH],
        location=error_location(error),
        correlation_id=get_correlation_id()[:64],
        database_alias=str(database_alias or "")[:64],
    )
    if request is not None:
        record.request_method = (getattr(request, "method", "") or "")[:10]
        record.request_path = redact_text(getattr(request, "path", "") or "")[:255]
    return record
