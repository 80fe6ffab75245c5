"""Transaction figures counted in memory, then folded into ``TransactionMetrics`` rows.

The success path of an operation must not pay for being watched: no query, no network call.
So each process counts its operations in memory, twice over: in prometheus_client counters and
histograms (cumulative, for ``/metrics``), and in per-hour buckets that ``fold()`` drains into
the database now and then (the Celery beat task, the end of a request or task once the fold
interval has passed, and process exit).

Folding is exact and idempotent. ``fold()`` swaps the pending buckets for empty ones under a
lock, so a count is drained once; a second fold finds nothing new. The drained counts are added
to the row of (hour, kind, name) with ``F()`` updates on a locked row, so several processes
folding into the same row add up rather than overwrite. If the write fails, the drained counts
are put back and go out with the next fold.

The distributed locks' figures (waits, timeouts, expiries) are prometheus values of their own;
each fold adds what changed in them since the previous fold of this process.
"""

import atexit
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)

TRANSACTIONS = Counter(
    "transactions_total",
    "Outermost transaction boundaries by outcome (commit, rollback, rejected)",
    ["operation", "outcome"],
)
TRANSACTION_SECONDS = Histogram(
    "transaction_duration_seconds",
    "Duration of outermost transaction boundaries",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
FAILURE_RECORDS_LOST = Counter(
    "transaction_failure_records_lost_total", "Failure records that could not be written to the failure log"
)

AFTER_COMMIT_INCIDENTS = Counter(
    "transaction_after_commit_incidents_total",
    "Things that went wrong after a transaction had ended (task not sent, lock release failed, callback failed);"
    " the operation's answer stood",
    ["kind"],
)
AFTER_COMMIT_INCIDENTS_LOST = Counter(
    "transaction_after_commit_incidents_lost_total", "After-commit incidents that could not be written to their log"
)

OPERATION = "operation"
LOCK = "lock"
COMMIT = "commit"
ROLLBACK = "rollback"
REJECTED = "rejected"

DEFAULT_SLOW_MS = 1000


@dataclass
class Bucket:
    """What one process counted for one (hour, kind, name) since its last fold."""

    commits: int = 0
    rollbacks: int = 0
    rejections: int = 0
    errors: dict = field(default_factory=dict)
    duration_count: int = 0
    duration_sum_ms: float = 0.0
    duration_min_ms: float | None = None
    duration_max_ms: float | None = None
    slow_count: int = 0
    lock_waits: int = 0
    lock_wait_sum_ms: float = 0.0
    lock_timeouts: int = 0
    lock_expired: int = 0

    def observe(self, duration_ms, slow_ms):
        self.duration_count += 1
        self.duration_sum_ms += duration_ms
        self.duration_min_ms = duration_ms if self.duration_min_ms is None else min(self.duration_min_ms, duration_ms)
        self.duration_max_ms = duration_ms if self.duration_max_ms is None else max(self.duration_max_ms, duration_ms)
        if duration_ms > slow_ms:
            self.slow_count += 1

    def merge(self, other):
        for name in (
            "commits",
            "rollbacks",
            "rejections",
            "duration_count",
            "duration_sum_ms",
            "slow_count",
            "lock_waits",
            "lock_wait_sum_ms",
            "lock_timeouts",
            "lock_expired",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for error, count in other.errors.items():
            self.errors[error] = self.errors.get(error, 0) + count
        for name, pick in (("duration_min_ms", min), ("duration_max_ms", max)):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, theirs if mine is None else mine if theirs is None else pick(mine, theirs))


_guard = threading.Lock()
_pending = {}  # (hour, kind, name) -> Bucket
_last_lock_values = {}  # (lock_type, figure) -> cumulative value at the last fold
_last_fold = time.monotonic()


def monitoring_enabled():
    """``TRANSACTION_MONITORING_ENABLED`` (default True): False stops failure records and metrics.

    Only the watching stops: transactions, the saga log and the task outbox work the same.
    """
    return getattr(settings, "TRANSACTION_MONITORING_ENABLED", True)


def current_hour(now=None):
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def slow_threshold_ms():
    return getattr(settings, "TRANSACTION_HEALTH_THRESHOLDS", {}).get("slow_transaction_ms", DEFAULT_SLOW_MS)


def record(operation, outcome, duration_seconds, error_class=None):
    """Count one outermost boundary: in prometheus and in this hour's pending bucket. No I/O."""
    TRANSACTIONS.labels(operation, outcome).inc()
    TRANSACTION_SECONDS.labels(operation).observe(duration_seconds)
    key = (current_hour(), OPERATION, operation)
    slow_ms = slow_threshold_ms()
    with _guard:
        bucket = _pending.get(key)
        if bucket is None:
            bucket = _pending[key] = Bucket()
        if outcome == COMMIT:
            bucket.commits += 1
        elif outcome == REJECTED:
            bucket.rejections += 1
        else:
            bucket.rollbacks += 1
        if error_class:
            bucket.errors[error_class] = bucket.errors.get(error_class, 0) + 1
        bucket.observe(duration_seconds * 1000.0, slow_ms)


def pending_snapshot():
    """A copy of this process's counts not folded yet, for the dashboard's "right now"."""
    with _guard:
        copies = {}
        for key, bucket in _pending.items():
            copy = Bucket()
            copy.merge(bucket)
            copies[key] = copy
        return copies


def _lock_metric_values():
    """The distributed locks' cumulative figures in this process: {(lock_type, figure): value}."""
    from . import distributed_locks

    values = {}
    sources = (
        (distributed_locks.LOCK_WAIT_SECONDS, {"_count": "waits", "_sum": "wait_seconds"}),
        (distributed_locks.LOCK_TIMEOUTS, {"_total": "timeouts"}),
        (distributed_locks.LOCK_EXPIRED_UNDER_HOLDER, {"_total": "expired"}),
    )
    for metric, suffixes in sources:
        for family in metric.collect():
            for sample in family.samples:
                for suffix, figure in suffixes.items():
                    if sample.name.endswith(suffix) and not sample.name.endswith("_created"):
                        values[(sample.labels.get("lock_type", ""), figure)] = sample.value
    return values


def lock_figures():
    """This process's cumulative lock figures per lock type, for the dashboard and /metrics readers."""
    figures = {}
    for (lock_type, figure), value in _lock_metric_values().items():
        figures.setdefault(lock_type, {"waits": 0, "wait_seconds": 0.0, "timeouts": 0, "expired": 0})[figure] = value
    return figures


def _take_lock_deltas(hour):
    """Move what the lock figures gained since the last fold into pending buckets (caller holds the guard)."""
    current = _lock_metric_values()
    for (lock_type, figure), value in current.items():
        delta = value - _last_lock_values.get((lock_type, figure), 0.0)
        if delta <= 0:
            continue
        key = (hour, LOCK, lock_type)
        bucket = _pending.get(key)
        if bucket is None:
            bucket = _pending[key] = Bucket()
        if figure == "waits":
            bucket.lock_waits += int(round(delta))
        elif figure == "wait_seconds":
            bucket.lock_wait_sum_ms += delta * 1000.0
        elif figure == "timeouts":
            bucket.lock_timeouts += int(round(delta))
        elif figure == "expired":
            bucket.lock_expired += int(round(delta))
    _last_lock_values.update(current)


def drain():
    """Take every pending bucket (lock deltas included) out of this process, leaving none behind."""
    global _pending
    with _guard:
        _take_lock_deltas(current_hour())
        drained, _pending = _pending, {}
    return drained


def restore(buckets):
    """Put drained buckets back, after a fold that could not write them."""
    with _guard:
        for key, bucket in buckets.items():
            mine = _pending.get(key)
            if mine is None:
                _pending[key] = bucket
            else:
                mine.merge(bucket)


def write_buckets(buckets, using=None):
    """Add ``buckets`` ({(hour, kind, name): Bucket}) to their ``TransactionMetrics`` rows.

    One transaction on the monitoring connection; rows are taken in key order, so two processes
    folding the same rows cannot deadlock. Each row is locked (``select_for_update``) while its
    counts are added with ``F()`` and its error classes merged.
    """
    from django.db import transaction
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, Greatest, Least

    from apps.core.models import TransactionMetrics

    alias = using or settings.MONITORING_DB_ALIAS
    rows = TransactionMetrics.objects.using(alias)
    with transaction.atomic(using=alias):
        for (hour, kind, name), bucket in sorted(buckets.items(), key=lambda item: item[0]):
            row, _ = rows.get_or_create(hour=hour, kind=kind, operation=name[:255])
            row = rows.select_for_update().get(pk=row.pk)
            changes = {
                "commits": F("commits") + bucket.commits,
                "rollbacks": F("rollbacks") + bucket.rollbacks,
                "rejections": F("rejections") + bucket.rejections,
                "duration_count": F("duration_count") + bucket.duration_count,
                "duration_sum_ms": F("duration_sum_ms") + bucket.duration_sum_ms,
                "slow_count": F("slow_count") + bucket.slow_count,
                "lock_waits": F("lock_waits") + bucket.lock_waits,
                "lock_wait_sum_ms": F("lock_wait_sum_ms") + bucket.lock_wait_sum_ms,
                "lock_timeouts": F("lock_timeouts") + bucket.lock_timeouts,
                "lock_expired": F("lock_expired") + bucket.lock_expired,
                "updated_at": datetime.now(UTC),
            }
            if bucket.duration_min_ms is not None:
                low, high = Value(bucket.duration_min_ms), Value(bucket.duration_max_ms)
                changes["duration_min_ms"] = Least(Coalesce(F("duration_min_ms"), low), low)
                changes["duration_max_ms"] = Greatest(Coalesce(F("duration_max_ms"), high), high)
            if bucket.errors:
                merged = dict(row.error_classes or {})
                for error, count in bucket.errors.items():
                    merged[error] = merged.get(error, 0) + count
                changes["error_classes"] = merged
            rows.filter(pk=row.pk).update(**changes)


def fold(using=None):
    """Write this process's pending counts into ``TransactionMetrics``; return how many rows got some.

    Safe to call at any time and from any number of processes: counts are drained once, and a
    failed write puts them back.
    """
    global _last_fold
    drained = drain()
    _last_fold = time.monotonic()
    if not drained or not monitoring_enabled():
        return 0
    try:
        write_buckets(drained, using=using)
    except Exception:
        restore(drained)
        raise
    return len(drained)


def fold_quietly():
    """Fold now, logging instead of raising: for pages that show the figures right after."""
    try:
        return fold()
    except Exception:  # noqa: BLE001 - the counts are kept for the next fold
        logger.exception("could not fold transaction metrics; the counts are kept for the next fold")
        return None


def fold_if_due(**kwargs):
    """Fold when the fold interval has passed since this process's last fold; never raise.

    Connected to the end of every request and task: a web process's counts reach the database
    within about one interval even though the Celery beat task runs in a worker process.
    """
    interval = getattr(settings, "TRANSACTION_METRICS_FOLD_INTERVAL", 60)
    if interval <= 0 or time.monotonic() - _last_fold < interval:
        return
    fold_quietly()


def _fold_at_exit():
    if not _pending or getattr(settings, "TRANSACTION_METRICS_FOLD_INTERVAL", 60) <= 0:
        return
    try:
        fold()
    except Exception:  # noqa: BLE001 - best effort while the process ends
        logger.warning("transaction metrics of this process could not be folded at exit", exc_info=True)


def install():
    """Fold at the end of requests and tasks (when due) and at process exit."""
    from celery.signals import task_postrun
    from django.core.signals import request_finished

    request_finished.connect(fold_if_due, dispatch_uid="core.fold_transaction_metrics")
    task_postrun.connect(fold_if_due, dispatch_uid="core.fold_transaction_metrics_after_task")
    atexit.register(_fold_at_exit)
