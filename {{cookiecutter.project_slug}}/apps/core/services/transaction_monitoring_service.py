"""What the transaction monitoring knows: failures, rates, slow operations, health, coverage.

``TransactionMonitoringService`` records failures (redacted, through the monitoring connection,
after the rollback they describe) and answers the questions the dashboard, the JSON API and
``manage.py transaction_health`` ask. ``TransactionAuditService`` reads the source code for write
entry points without a transaction, and the metrics for slow operations.

Every read and write of the monitoring models goes through ``settings.MONITORING_DB_ALIAS``.

How the figures are counted: commits and rejections (rollbacks caused by invalid input or a
business rule) come from ``TransactionMetrics``, which every process folds from memory at least
once per fold interval. Failures are the larger of the failure records (written at once) and the
folded rollback counts, so neither a fold that has not happened yet nor a failure record that
could not be written hides a failure.
"""

import functools
import logging
import re
import threading
import time
import traceback
from collections import defaultdict
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.mail import mail_admins
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty
from django.utils.module_loading import import_string
from rest_framework.exceptions import APIException

from apps.core.exceptions import LockAcquisitionError
from apps.core.models import (
    AfterCommitIncident,
    OutboxMessage,
    TransactionFailureLog,
    TransactionHealthCheck,
    TransactionMetrics,
)

from . import monitoring_metrics
from .correlation import get_correlation_id, get_current_request, get_entry_point
from .database_aliases import tenant_aliases
from .unique_conflicts import is_input_constraint_violation

logger = logging.getLogger(__name__)

REDACTED = "[REDACTED]"
MAX_MESSAGE_LENGTH = 2000

DEFAULT_THRESHOLDS = {
    # Percent of transactions that failed, over the window: more than this is Degraded / Critical.
    "failure_rate_degraded": 1.0,
    "failure_rate_critical": 5.0,
    # Average duration above this (ms) is Degraded; a single transaction above it counts as slow.
    "slow_transaction_ms": 1000,
    # More deadlocks than this is Critical (0: any deadlock).
    "deadlocks_critical": 0,
    # More lock waits that ran out than this is Degraded.
    "lock_timeouts_degraded": 10,
    # More after-commit incidents (task not sent, lock release failed, ...) than this is Degraded.
    "after_commit_incidents_degraded": 0,
}

DEFAULT_EXPECTED_ERRORS = (
    "django.core.exceptions.ValidationError",
    "django.core.exceptions.BadRequest",
    "django.core.exceptions.SuspiciousOperation",
    "apps.core.exceptions.StaleVersionError",
    "django.core.exceptions.PermissionDenied",
    "django.http.Http404",
    "rest_framework.exceptions.ValidationError",
    "rest_framework.exceptions.PermissionDenied",
)

_SENSITIVE_WORDS = (
    "password",
    "passwd",
    "pwd",
    "token",
    "secret",
    "authorization",
    "cookie",
    "csrf",
    "api_key",
    "apikey",
    "api-key",
    "session",
    "private_key",
    "credential",
    "signature",
    "access_key",
)
_WORDS = "|".join(re.escape(word) for word in _SENSITIVE_WORDS)
_SENSITIVE_KEY = re.compile(_WORDS, re.IGNORECASE)
# key=value, key: value, "key": "value" (the key containing a sensitive word); the value ends at a
# quote, blank or separator.
_SENSITIVE_PAIR = re.compile(
    r"""(?P<key>[\w.-]*(?:""" + _WORDS + r""")[\w.-]*)(?P<sep>["']?\s*[=:]\s*)"""
    r"""(?P<value>(?:(?:Bearer|Basic|Token)\s+)?(?:"[^"]*"|'[^']*'|[^\s,;&)}\]]+))""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Token|Basic)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)

_SQLSTATE_CATEGORIES = {
    "40P01": TransactionFailureLog.Category.DEADLOCK,
    "40001": TransactionFailureLog.Category.SERIALIZATION,
    "55P03": TransactionFailureLog.Category.LOCK_TIMEOUT,
}


def is_sensitive_key(key):
    return bool(_SENSITIVE_KEY.search(str(key)))


def redact_text(text):
    """``text`` with the values of sensitive ``key=value`` / ``"key": value`` pairs and bearer tokens removed."""
    text = _SENSITIVE_PAIR.sub(lambda m: f"{m.group('key')}{m.group('sep')}{REDACTED}", str(text))
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def redact(value, depth=0):
    """A JSON-safe copy of ``value`` in which the values of sensitive keys are replaced."""
    if depth > 6:
        return REDACTED
    if isinstance(value, dict):
        return {str(key): REDACTED if is_sensitive_key(key) else redact(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(item, depth + 1) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(value)[:MAX_MESSAGE_LENGTH]


@lru_cache(maxsize=8)
def _expected_classes(paths):
    classes = []
    for path in paths:
        try:
            classes.append(import_string(path))
        except ImportError:
            continue
    return tuple(classes)


def is_expected_error(exc):
    """True for a rejection: the caller's mistake (a 4xx), not a failure of the system (a 5xx).

    Rejected are invalid input and refused rules or transitions (``ValidationError``), a record
    changed since it was read, a body DRF could not parse or does not accept (any DRF error below
    500: malformed JSON 400, wrong content type 415), and a unique or check constraint that the
    input violates. They are counted as rejections; only failures move the failure rate and the
    health status. ``TRANSACTION_MONITORING_EXPECTED_ERRORS`` lists the exception classes.
    """
    paths = tuple(getattr(settings, "TRANSACTION_MONITORING_EXPECTED_ERRORS", DEFAULT_EXPECTED_ERRORS))
    if isinstance(exc, _expected_classes(paths)):
        return True
    if isinstance(exc, APIException):
        return exc.status_code < 500
    return is_input_constraint_violation(exc)


is_rejection = is_expected_error


def _causes(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc):
    """``(category, sqlstate)`` of an error; PostgreSQL's SQLSTATE tells deadlocks and serialization failures."""
    for cause in _causes(exc):
        code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if code:
            code = str(code)
            if code in _SQLSTATE_CATEGORIES:
                return _SQLSTATE_CATEGORIES[code], code
            if code.startswith("23"):
                return TransactionFailureLog.Category.INTEGRITY, code
            return TransactionFailureLog.Category.DATABASE, code
    if isinstance(exc, IntegrityError):
        return TransactionFailureLog.Category.INTEGRITY, ""
    if isinstance(exc, LockAcquisitionError):
        return TransactionFailureLog.Category.LOCK_TIMEOUT, ""
    if isinstance(exc, DatabaseError):
        if "database is locked" in str(exc):
            return TransactionFailureLog.Category.LOCK_TIMEOUT, ""
        return TransactionFailureLog.Category.DATABASE, ""
    return TransactionFailureLog.Category.APPLICATION, ""


PROJECT_PACKAGES = ("apps", "config")
# The project's database execute wrappers: every query passes through them, none is issued there.
PASS_THROUGH = frozenset({"apps/core/services/write_guard.py", "apps/core/testing.py"})


def _project_path(filename):
    """``filename`` relative to ``BASE_DIR`` when it is the project's own code (``apps``, ``config``), else None."""
    try:
        relative = Path(filename).resolve().relative_to(Path(settings.BASE_DIR).resolve())
    except (ValueError, OSError):
        return None
    parts = relative.parts
    if not parts or parts[0] not in PROJECT_PACKAGES or "site-packages" in parts:
        return None
    return relative.as_posix()


def error_location(exc):
    """``file:line in function`` of the innermost frame of ``exc``'s traceback in the project's own code.

    An error raised by Django or a driver is reported where the project called into it (the
    service line that issued the write), not at ``base.py:… in execute``. The project's execute
    wrappers (``PASS_THROUGH``), which every query passes through, are skipped; only when no
    frame of the traceback is the project's is the innermost frame named.
    """
    innermost = wrapper = project = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        innermost = (frame.f_code.co_filename, line, frame.f_code.co_name)
        path = _project_path(frame.f_code.co_filename)
        if path is None:
            continue
        if path in PASS_THROUGH:
            wrapper = (path, line, frame.f_code.co_name)
        else:
            project = (path, line, frame.f_code.co_name)
    found = project or wrapper
    if found is None:
        if innermost is None:
            return ""
        filename, line, function = innermost
        found = (_project_path(filename) or Path(filename).name, line, function)
    filename, line, function = found
    return f"{filename}:{line} in {function}"[:255]


def _known_user(request):
    """The request's user if it has already been loaded: reading it must not cost a query."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user._wrapped if user._wrapped is not empty else request.__dict__.get("_cached_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def thresholds():
    return {**DEFAULT_THRESHOLDS, **getattr(settings, "TRANSACTION_HEALTH_THRESHOLDS", {})}


def evaluate_health(
    *, failure_rate, average_ms=None, deadlocks=0, lock_timeouts=0, after_commit_incidents=0, limits=None
):
    """The status for some figures, and the reasons for it. Every threshold is "more than".

    Rejections (the callers' mistakes) are not among the figures: only the system's failures, and
    what went wrong after a commit, move the status.
    """
    limits = {**DEFAULT_THRESHOLDS, **(limits or thresholds())}
    critical, degraded = [], []
    if deadlocks > limits["deadlocks_critical"]:
        critical.append(f"{deadlocks} deadlock(s)")
    if failure_rate > limits["failure_rate_critical"]:
        critical.append(f"failure rate {failure_rate:.2f}% is above {limits['failure_rate_critical']}%")
    elif failure_rate > limits["failure_rate_degraded"]:
        degraded.append(f"failure rate {failure_rate:.2f}% is above {limits['failure_rate_degraded']}%")
    if average_ms is not None and average_ms > limits["slow_transaction_ms"]:
        degraded.append(f"average duration {average_ms:.0f} ms is above {limits['slow_transaction_ms']} ms")
    if lock_timeouts > limits["lock_timeouts_degraded"]:
        degraded.append(f"{lock_timeouts} lock waits ran out (more than {limits['lock_timeouts_degraded']})")
    if after_commit_incidents > limits["after_commit_incidents_degraded"]:
        degraded.append(
            f"{after_commit_incidents} after-commit incident(s) (more than {limits['after_commit_incidents_degraded']})"
        )
    if critical:
        return TransactionHealthCheck.Status.CRITICAL, critical + degraded
    if degraded:
        return TransactionHealthCheck.Status.DEGRADED, degraded
    return TransactionHealthCheck.Status.HEALTHY, []


def task_outbox_backlog(now=None):
    """The task outbox's pending messages on every tenant's alias, and whether it is stuck.

    Stuck means a message has waited longer than ``OUTBOX_STUCK_AFTER_SECONDS``: the broker has
    been down that long or no relay runs. Tasks wait then, requests are still served, so it makes
    the health Degraded, never Critical, and never fails ``/health/ready``.
    """
    now = now or timezone.now()
    limit = settings.OUTBOX_STUCK_AFTER_SECONDS
    aliases = []
    for alias in tenant_aliases():
        count, age = OutboxMessage.objects.using(alias).backlog(now)
        aliases.append({"alias": alias, "pending": count, "oldest_age_seconds": age})
    ages = [row["oldest_age_seconds"] for row in aliases if row["oldest_age_seconds"] is not None]
    oldest_age = max(ages) if ages else None
    stuck = oldest_age is not None and oldest_age > limit
    pending = sum(row["pending"] for row in aliases)
    return {
        "pending": pending,
        "oldest_age_seconds": oldest_age,
        "stuck_after_seconds": limit,
        "stuck": stuck,
        "reason": f"{pending} task(s) waiting in the outbox, the oldest for {oldest_age:.0f} s (more than {limit} s)"
        if stuck
        else "",
        "aliases": aliases,
    }


_deferred = []
_deferred_guard = threading.Lock()


def _must_defer(database_alias, monitoring_alias):
    """True when writing now would wait on the very transaction being described.

    SQLite has one writer per file: while the operation's connection still holds an open
    transaction (an outer block that will roll back too), the monitoring connection to the same
    file cannot write until that ends. Other engines write at once.
    """
    try:
        connection = connections[database_alias]
        monitoring = connections[monitoring_alias]
    except Exception:  # noqa: BLE001 - an unknown alias: write at once and let that fail loudly
        return False
    return (
        connection.vendor == "sqlite"
        and connection.in_atomic_block
        and connection.settings_dict.get("NAME") == monitoring.settings_dict.get("NAME")
    )


def _save_record(record, alias):
    try:
        record.save(using=alias)
        return True
    except Exception:  # noqa: BLE001 - a failure record must never break anything
        monitoring_metrics.FAILURE_RECORDS_LOST.inc()
        logger.exception(
            "could not write the failure record of %s (%s); correlation id %s",
            record.operation,
            record.error_class,
            record.correlation_id,
        )
        return False


def _save_later(record, alias):
    def write():
        try:
            _save_record(record, alias)
        finally:
            connections[alias].close()

    thread = threading.Thread(target=write, name="failure-log-writer", daemon=True)
    with _deferred_guard:
        _deferred.append(thread)
    thread.start()


def must_wait_for_the_operation(database_alias):
    """True when a monitoring write now would wait on the operation's own open SQLite transaction."""
    return _must_defer(database_alias or "default", settings.MONITORING_DB_ALIAS)


def save_after_the_operation(record, what):
    """Save ``record`` through the monitoring connection from a thread that waits for the operation's
    SQLite transaction to end (see ``_must_defer``), instead of waiting on it here, inside it."""
    alias = settings.MONITORING_DB_ALIAS

    def write():
        try:
            record.save(using=alias)
        except Exception:  # noqa: BLE001 - a monitoring record must never break anything
            logger.exception("could not write the %s record", what)
        finally:
            connections[alias].close()

    thread = threading.Thread(target=write, name=f"{what}-writer", daemon=True)
    with _deferred_guard:
        _deferred.append(thread)
    thread.start()


class TransactionMonitoringService:
    """Failure records and the health figures built from them and from ``TransactionMetrics``."""

    @staticmethod
    def alias():
        return settings.MONITORING_DB_ALIAS

    @classmethod
    def build_failure_record(
        cls,
        operation,
        exc,
        *,
        duration_ms=None,
        database_alias="",
        view_name=None,
        context=None,
        request=None,
        correlation_id=None,
    ):
        """An unsaved, redacted ``TransactionFailureLog`` for ``exc``; costs no query."""
        request = request if request is not None else get_current_request()
        category, code = classify(exc)
        user = _known_user(request)
        record = TransactionFailureLog(
            operation=str(operation)[:255],
            view_name=(view_name if view_name is not None else get_entry_point())[:255],
            error_class=f"{type(exc).__module__}.{type(exc).__qualname__}"[:255],
            error_message=redact_text(str(exc))[:MAX_MESSAGE_LENGTH],
            error_code=code[:16],
            category=category,
            location=error_location(exc),
            correlation_id=(correlation_id or get_correlation_id())[:64],
            database_alias=str(database_alias or "")[:64],
            duration_ms=duration_ms,
            context=redact(context or {}),
        )
        if user is not None:
            record.user_id = str(user.pk)[:64]
            record.username = user.get_username()[:150]
            record.tenant = str(getattr(user, "client_id", "") or "")[:64]
        if request is not None:
            record.request_method = (getattr(request, "method", "") or "")[:10]
            # The path only: a query string or a body may carry credentials.
            record.request_path = redact_text(getattr(request, "path", "") or "")[:255]
        return record

    @classmethod
    def log_transaction_failure(
        cls, operation=None, exc=None, view_name=None, request=None, *, operation_name=None, error=None, **kwargs
    ):
        """Record that ``operation`` failed with ``exc``; return the record (None if it could not be written).

        The record goes through the monitoring connection, so it commits on its own whatever
        happens to the operation's transaction. Never raises: a broken failure log must not turn
        into a second failure of the operation. The platform's form works too:
        ``log_transaction_failure(operation_name, error, view_name, request)``, positionally or by
        those keywords. With ``TRANSACTION_MONITORING_ENABLED = False`` nothing is written.
        """
        operation = operation if operation is not None else operation_name
        exc = exc if exc is not None else error
        if operation is None or exc is None:
            raise TypeError("log_transaction_failure() needs the operation's name and the error it failed with")
        if view_name is not None:
            kwargs["view_name"] = view_name
        if request is not None:
            kwargs["request"] = request
        if not monitoring_metrics.monitoring_enabled():
            return None
        try:
            record = cls.build_failure_record(operation, exc, **kwargs)
        except Exception:  # noqa: BLE001 - see above
            monitoring_metrics.FAILURE_RECORDS_LOST.inc()
            logger.exception("could not describe the failure of %s", operation)
            return None
        alias = cls.alias()
        if _must_defer(record.database_alias or "default", alias):
            _save_later(record, alias)
            return record
        return record if _save_record(record, alias) else None

    @staticmethod
    def wait_for_deferred_records(timeout=30):
        """Wait for failure records that waited for an SQLite transaction to end (tests, commands)."""
        deadline = time.monotonic() + timeout
        while True:
            with _deferred_guard:
                pending = [thread for thread in _deferred if thread.is_alive()]
                _deferred[:] = pending
            if not pending or time.monotonic() >= deadline:
                return not pending
            pending[0].join(max(0.0, deadline - time.monotonic()))

    # Reading -----------------------------------------------------------------------------

    @classmethod
    def _since(cls, hours, now=None):
        return (now or timezone.now()) - timedelta(hours=hours)

    @classmethod
    def failures(cls, hours=24, now=None):
        return TransactionFailureLog.objects.using(cls.alias()).filter(occurred_at__gte=cls._since(hours, now))

    @classmethod
    def after_commit_incidents(cls, hours=24, now=None):
        return AfterCommitIncident.objects.using(cls.alias()).filter(occurred_at__gte=cls._since(hours, now))

    @classmethod
    def get_recent_after_commit_incidents(cls, limit=20, hours=24, now=None):
        return [
            incident_as_dict(record)
            for record in cls.after_commit_incidents(hours, now).order_by("-occurred_at", "-id")[:limit]
        ]

    @classmethod
    def metrics(cls, hours=24, now=None, kind=TransactionMetrics.Kind.OPERATION):
        since = monitoring_metrics.current_hour(cls._since(hours, now))
        return TransactionMetrics.objects.using(cls.alias()).filter(hour__gte=since, kind=kind)

    @classmethod
    def get_transaction_health_summary(cls, hours=24, now=None):
        """Success and failure rate, error types and status over the last ``hours``."""
        totals = cls.metrics(hours, now).aggregate(
            commits=Sum("commits"),
            rollbacks=Sum("rollbacks"),
            rejections=Sum("rejections"),
            duration_count=Sum("duration_count"),
            duration_sum_ms=Sum("duration_sum_ms"),
            slow=Sum("slow_count"),
        )
        totals = {key: value or 0 for key, value in totals.items()}
        failures = cls.failures(hours, now)
        recorded = failures.count()
        failed = max(recorded, totals["rollbacks"])
        total = totals["commits"] + totals["rejections"] + failed
        categories = dict(failures.values_list("category").annotate(n=Count("id")).order_by())
        locks = cls.metrics(hours, now, kind=TransactionMetrics.Kind.LOCK).aggregate(
            timeouts=Sum("lock_timeouts"), waits=Sum("lock_waits"), expired=Sum("lock_expired")
        )
        lock_timeouts = locks["timeouts"] or 0
        failure_rate = round(100.0 * failed / total, 3) if total else 0.0
        average_ms = totals["duration_sum_ms"] / totals["duration_count"] if totals["duration_count"] else None
        deadlocks = categories.get(TransactionFailureLog.Category.DEADLOCK, 0)
        incidents = dict(cls.after_commit_incidents(hours, now).values_list("kind").annotate(n=Count("id")).order_by())
        incident_count = sum(incidents.values())
        status, reasons = evaluate_health(
            failure_rate=failure_rate,
            average_ms=average_ms,
            deadlocks=deadlocks,
            lock_timeouts=lock_timeouts,
            after_commit_incidents=incident_count,
        )
        outbox = task_outbox_backlog(now)
        if outbox["stuck"]:
            reasons = [*reasons, outbox["reason"]]
            if status == TransactionHealthCheck.Status.HEALTHY:
                status = TransactionHealthCheck.Status.DEGRADED
        error_types = [
            {"error_class": name, "count": count}
            for name, count in failures.values_list("error_class")
            .annotate(n=Count("id"))
            .order_by("-n", "error_class")[:10]
        ]
        return {
            "hours": hours,
            "status": str(status),
            "status_label": TransactionHealthCheck.Status(status).label,
            "reasons": reasons,
            "outbox": outbox,
            "total_transactions": total,
            "commits": totals["commits"],
            "rejections": totals["rejections"],
            "failures": failed,
            "recorded_failures": recorded,
            "unresolved_failures": failures.filter(is_resolved=False).count(),
            "success_rate": round(100.0 * totals["commits"] / total, 3) if total else 100.0,
            "failure_rate": failure_rate,
            "rejection_rate": round(100.0 * totals["rejections"] / total, 3) if total else 0.0,
            "after_commit_incidents": incident_count,
            "after_commit_incidents_by_kind": {
                str(kind): incidents.get(kind, 0) for kind in AfterCommitIncident.Kind.values
            },
            "average_duration_ms": round(average_ms, 2) if average_ms is not None else None,
            "slow_transactions": totals["slow"],
            "deadlocks": deadlocks,
            "serialization_failures": categories.get(TransactionFailureLog.Category.SERIALIZATION, 0),
            "lock_waits": locks["waits"] or 0,
            "lock_timeouts": lock_timeouts,
            "locks_expired_under_holder": locks["expired"] or 0,
            "error_types": error_types,
            "categories": {str(key): value for key, value in categories.items()},
            "thresholds": thresholds(),
        }

    @classmethod
    def get_top_failing_operations(cls, limit=10, hours=24, now=None):
        """The operations with the most failures, with their failure rate and latest error."""
        rows = list(
            cls.failures(hours, now)
            .values("operation")
            .annotate(failures=Count("id"), last_failed_at=Max("occurred_at"))
            .order_by("-failures", "-last_failed_at")[:limit]
        )
        attempts = {
            row["operation"]: row
            for row in cls.metrics(hours, now)
            .filter(operation__in=[row["operation"] for row in rows])
            .values("operation")
            .annotate(commits=Sum("commits"), rejections=Sum("rejections"), rollbacks=Sum("rollbacks"))
        }
        result = []
        for row in rows:
            counted = attempts.get(row["operation"], {})
            failed = max(row["failures"], counted.get("rollbacks") or 0)
            total = (counted.get("commits") or 0) + (counted.get("rejections") or 0) + failed
            latest = cls.failures(hours, now).filter(operation=row["operation"]).order_by("-occurred_at", "-id").first()
            result.append(
                {
                    "operation": row["operation"],
                    "failures": failed,
                    "total": total,
                    "failure_rate": round(100.0 * failed / total, 2) if total else 100.0,
                    "last_failed_at": row["last_failed_at"].isoformat(),
                    "last_error_class": latest.error_class if latest else "",
                    "last_failure_id": latest.pk if latest else None,
                }
            )
        return result

    @classmethod
    def get_recent_failures(cls, limit=20, hours=24, now=None):
        return [
            failure_as_dict(record, full=False)
            for record in cls.failures(hours, now).order_by("-occurred_at", "-id")[:limit]
        ]

    @classmethod
    def get_hourly_series(cls, hours=24, now=None):
        """One entry per hour of the window, oldest first: commits, rejections, failures and rates."""
        now = now or timezone.now()
        first = monitoring_metrics.current_hour(now - timedelta(hours=hours - 1))
        slots = [first + timedelta(hours=offset) for offset in range(hours)]
        counted = defaultdict(lambda: {"commits": 0, "rejections": 0, "rollbacks": 0})
        for row in (
            cls.metrics(hours, now)
            .values("hour")
            .annotate(commits=Sum("commits"), rejections=Sum("rejections"), rollbacks=Sum("rollbacks"))
        ):
            counted[monitoring_metrics.current_hour(row["hour"])] = row
        recorded = defaultdict(int)
        for row in (
            cls.failures(hours, now)
            .annotate(slot=TruncHour("occurred_at", tzinfo=timezone.get_fixed_timezone(0)))
            .values("slot")
            .annotate(n=Count("id"))
            .order_by()
        ):
            recorded[monitoring_metrics.current_hour(row["slot"])] += row["n"]
        series = []
        for slot in slots:
            row = counted[slot]
            failed = max(recorded[slot], row["rollbacks"] or 0)
            total = (row["commits"] or 0) + (row["rejections"] or 0) + failed
            series.append(
                {
                    "hour": slot,
                    "commits": row["commits"] or 0,
                    "rejections": row["rejections"] or 0,
                    "failures": failed,
                    "total": total,
                    "success_rate": round(100.0 * (row["commits"] or 0) / total, 2) if total else None,
                    "failure_rate": round(100.0 * failed / total, 2) if total else None,
                }
            )
        return series

    @classmethod
    def get_lock_summary(cls, hours=24, now=None):
        """Per lock type: waits, average wait, waits that ran out and expiries, folded and in this process."""
        folded = {
            row["operation"]: row
            for row in cls.metrics(hours, now, kind=TransactionMetrics.Kind.LOCK)
            .values("operation")
            .annotate(
                waits=Sum("lock_waits"),
                wait_ms=Sum("lock_wait_sum_ms"),
                timeouts=Sum("lock_timeouts"),
                expired=Sum("lock_expired"),
            )
        }
        live = monitoring_metrics.lock_figures()
        result = []
        for lock_type in sorted(set(folded) | set(live)):
            row = folded.get(lock_type, {})
            here = live.get(lock_type, {})
            waits = row.get("waits") or 0
            result.append(
                {
                    "lock_type": lock_type,
                    "waits": waits,
                    "average_wait_ms": round((row.get("wait_ms") or 0) / waits, 2) if waits else None,
                    "timeouts": row.get("timeouts") or 0,
                    "expired_under_holder": row.get("expired") or 0,
                    "process_waits": int(here.get("waits", 0)),
                    "process_timeouts": int(here.get("timeouts", 0)),
                    "process_expired": int(here.get("expired", 0)),
                }
            )
        return result

    @classmethod
    def take_health_snapshot(cls, hours=None, now=None):
        """Judge the last ``hours`` (``TRANSACTION_HEALTH_WINDOW_HOURS``) and store the verdict."""
        hours = hours or getattr(settings, "TRANSACTION_HEALTH_WINDOW_HOURS", 1)
        summary = cls.get_transaction_health_summary(hours=hours, now=now)
        previous = cls.latest_snapshot()
        snapshot = TransactionHealthCheck.objects.using(cls.alias()).create(
            checked_at=now or timezone.now(),
            window_hours=hours,
            status=summary["status"],
            total_transactions=summary["total_transactions"],
            failures=summary["failures"],
            failure_rate=summary["failure_rate"],
            average_duration_ms=summary["average_duration_ms"],
            slow_transaction_count=summary["slow_transactions"],
            deadlock_count=summary["deadlocks"],
            serialization_failure_count=summary["serialization_failures"],
            lock_timeouts=summary["lock_timeouts"],
            reasons=summary["reasons"],
        )
        critical = TransactionHealthCheck.Status.CRITICAL
        if snapshot.status == critical and (previous is None or previous.status != critical):
            transaction.on_commit(functools.partial(notify_critical, snapshot), using=cls.alias())
        return snapshot

    @classmethod
    def latest_snapshot(cls):
        return TransactionHealthCheck.objects.using(cls.alias()).order_by("-checked_at", "-id").first()

    @classmethod
    def prune(cls, now=None):
        """Delete records older than their retention; return how many of each went."""
        now = now or timezone.now()
        alias = cls.alias()
        retention = {
            TransactionFailureLog: ("occurred_at", getattr(settings, "TRANSACTION_FAILURE_LOG_RETENTION_DAYS", 90)),
            TransactionMetrics: ("hour", getattr(settings, "TRANSACTION_METRICS_RETENTION_DAYS", 30)),
            TransactionHealthCheck: ("checked_at", getattr(settings, "TRANSACTION_HEALTH_CHECK_RETENTION_DAYS", 30)),
            AfterCommitIncident: ("occurred_at", getattr(settings, "TRANSACTION_FAILURE_LOG_RETENTION_DAYS", 90)),
        }
        removed = {}
        for model, (field_name, days) in retention.items():
            cutoff = now - timedelta(days=days)
            removed[model._meta.model_name], _ = (
                model.objects.using(alias).filter(**{f"{field_name}__lt": cutoff}).delete()
            )
        return removed


def notify_critical(snapshot):
    """Tell the admins (``ADMINS``, by e-mail) and the log that the health status has become Critical.

    Called once per change to Critical, not at every snapshot that finds it still Critical.
    """
    reasons = "; ".join(snapshot.reasons or []) or "no reason recorded"
    logger.error("Transaction health is Critical over the last %s hour(s): %s", snapshot.window_hours, reasons)
    try:
        mail_admins(
            "Transaction health is Critical",
            f"The transaction health check of {snapshot.checked_at.isoformat()} found the status Critical "
            f"over the last {snapshot.window_hours} hour(s).\n\nReasons: {reasons}\n"
            f"Failure rate: {snapshot.failure_rate}% of {snapshot.total_transactions} transaction(s); "
            f"deadlocks: {snapshot.deadlock_count}.\n\nSee the dashboard at /{settings.ADMIN_URL}transaction-health/.",
        )
    except Exception:  # noqa: BLE001 - a mail server that is down must not fail the health check
        logger.exception("could not mail the admins that transaction health is Critical")


def incident_as_dict(record):
    """An after-commit incident for JSON."""
    return {
        "id": record.pk,
        "occurred_at": record.occurred_at.isoformat(),
        "kind": record.kind,
        "kind_label": record.get_kind_display(),
        "operation": record.operation,
        "action": record.action,
        "view_name": record.view_name,
        "error_class": record.error_class,
        "error_message": record.error_message,
        "location": record.location,
        "correlation_id": record.correlation_id,
        "database_alias": record.database_alias,
        "request_method": record.request_method,
        "request_path": record.request_path,
    }


def failure_as_dict(record, full=True):
    """A failure record for JSON; ``full`` adds what only the detail view shows."""
    data = {
        "id": record.pk,
        "occurred_at": record.occurred_at.isoformat(),
        "operation": record.operation,
        "view_name": record.view_name,
        "error_class": record.error_class,
        "error_message": record.error_message,
        "category": record.category,
        "correlation_id": record.correlation_id,
        "duration_ms": record.duration_ms,
        "is_resolved": record.is_resolved,
    }
    if full:
        data.update(
            {
                "error_code": record.error_code,
                "location": record.location,
                "database_alias": record.database_alias,
                "tenant": record.tenant,
                "user_id": record.user_id,
                "username": record.username,
                "request_method": record.request_method,
                "request_path": record.request_path,
                "context": record.context,
                "resolution_note": record.resolution_note,
                "resolved_at": record.resolved_at.isoformat() if record.resolved_at else None,
            }
        )
    return data


_audit_cache = {"at": None, "result": None}
_audit_guard = threading.Lock()


class TransactionAuditService:
    """Where writes lack a transaction (from the source), and which operations are slow (from the metrics)."""

    @staticmethod
    def audit_transaction_coverage(paths=None, max_age=300):
        """Write entry points protected by a transaction, as a percentage, and the unprotected ones.

        Uses the same analyser as the git pre-commit hook. The result of the default audit (the
        project's ``apps`` directory) is kept for ``max_age`` seconds: the code does not change
        while a process runs.
        """
        from apps.core.analysis.transaction_usage import analyse_paths

        root = Path(settings.BASE_DIR)
        use_cache = paths is None
        if use_cache:
            with _audit_guard:
                if _audit_cache["at"] is not None and time.monotonic() - _audit_cache["at"] < max_age:
                    return _audit_cache["result"]
        report = analyse_paths(paths or [root / "apps"], root=root)
        unprotected = [
            {"path": entry.path, "line": entry.line, "name": entry.qualname, "kind": entry.kind}
            for entry in report.entry_points
            if not entry.protected
        ]
        coverage = report.coverage
        result = {
            "coverage": coverage,
            "files": len(report.files),
            "unprotected": unprotected,
            # The same figures under the names of the platform's report.
            "coverage_percentage": coverage["percent"],
            "total_methods": coverage["entry_points"],
            "with_transaction": coverage["protected"],
            "without_transaction": [f"{entry['path']}:{entry['line']} {entry['name']}" for entry in unprotected],
            "findings": [
                {
                    "code": finding.code,
                    "path": finding.path,
                    "line": finding.line,
                    "name": finding.qualname,
                    "message": finding.message,
                }
                for finding in report.findings
            ],
        }
        if use_cache:
            with _audit_guard:
                _audit_cache.update(at=time.monotonic(), result=result)
        return result

    @staticmethod
    def get_slow_transactions(threshold_ms=1000, limit=20, hours=24, now=None):
        """Operations whose average or slowest duration is above ``threshold_ms``, slowest average first."""
        rows = (
            TransactionMonitoringService.metrics(hours, now)
            .values("operation")
            .annotate(
                count=Sum("duration_count"),
                total_ms=Sum("duration_sum_ms"),
                max_ms=Max("duration_max_ms"),
                min_ms=Min("duration_min_ms"),
                slow=Sum("slow_count"),
            )
        )
        result = []
        for row in rows:
            if not row["count"]:
                continue
            average = row["total_ms"] / row["count"]
            if average <= threshold_ms and (row["max_ms"] or 0) <= threshold_ms:
                continue
            figures = {
                "operation": row["operation"],
                "count": row["count"],
                "average_ms": round(average, 2),
                "max_ms": round(row["max_ms"] or 0, 2),
                "min_ms": round(row["min_ms"] or 0, 2),
                "slow_count": row["slow"] or 0,
            }
            # The same figures under the names of the platform's report.
            figures.update(
                operation_name=figures["operation"],
                avg_duration_ms=figures["average_ms"],
                max_duration_ms=figures["max_ms"],
                min_duration_ms=figures["min_ms"],
                execution_count=figures["count"],
            )
            result.append(figures)
        result.sort(key=lambda row: (-row["average_ms"], row["operation"]))
        return result[:limit]
