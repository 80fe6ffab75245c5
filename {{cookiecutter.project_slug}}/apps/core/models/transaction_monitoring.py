"""Records about transactions that must outlive the transactions they describe.

They are written and read through the ``MONITORING_DB_ALIAS`` connection (a second connection to
the same database), so a saga's log or a failure record survives the rollback of the operation it
describes. ``TransactionMetrics`` holds what every process counted in memory, folded per hour;
``TransactionHealthCheck`` the periodic verdict on those figures. ``AfterCommitIncident`` records
what went wrong after an operation had committed: never a failure of the operation, which the
caller was rightly told had succeeded, but something an operator has to look at.
"""

import uuid

from django.db import models
from django.utils import timezone


class SagaExecutionLog(models.Model):
    """One run of a saga: which steps completed, which failed, which compensations ran."""

    class Status(models.TextChoices):
        RUNNING = "RUNNING", "Running"
        COMPLETED = "COMPLETED", "Completed"
        COMPENSATED = "COMPENSATED", "Failed and compensated"
        COMPENSATION_FAILED = "COMPENSATION_FAILED", "Failed; a compensation failed too"

    saga_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, db_index=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.RUNNING)
    steps_completed = models.JSONField(default=list)
    failed_step = models.CharField(max_length=120, blank=True)
    compensations_run = models.JSONField(default=list)
    compensations_failed = models.JSONField(default=list)
    error = models.TextField(blank=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    database_alias = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "saga execution log"

    def __str__(self):
        return f"{self.name} {self.saga_id} ({self.status})"


class TransactionFailureLog(models.Model):
    """One operation whose transaction rolled back because of an unexpected error.

    Written after the rollback it describes, through the monitoring connection, so the record
    survives it. It never holds request bodies, passwords, tokens or cookies: ``context`` and
    ``error_message`` are redacted before they are stored.
    """

    class Category(models.TextChoices):
        DEADLOCK = "deadlock", "Deadlock"
        SERIALIZATION = "serialization", "Serialization failure"
        LOCK_TIMEOUT = "lock_timeout", "Lock timeout"
        INTEGRITY = "integrity", "Integrity conflict"
        DATABASE = "database", "Other database error"
        APPLICATION = "application", "Application error"

    operation = models.CharField(max_length=255, db_index=True, help_text="module.function of the operation")
    view_name = models.CharField(max_length=255, blank=True, help_text="the view or task that ran it")
    error_class = models.CharField(max_length=255)
    error_message = models.TextField(blank=True)
    error_code = models.CharField(max_length=16, blank=True, help_text="the database's SQLSTATE, when it gave one")
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.APPLICATION, db_index=True)
    location = models.CharField(max_length=255, blank=True, help_text="file:line where the error was raised")
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    database_alias = models.CharField(max_length=64, blank=True)
    tenant = models.CharField(max_length=64, blank=True)
    user_id = models.CharField(max_length=64, blank=True)
    username = models.CharField(max_length=150, blank=True)
    request_method = models.CharField(max_length=10, blank=True)
    request_path = models.CharField(max_length=255, blank=True)
    context = models.JSONField(default=dict, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    is_resolved = models.BooleanField(default=False, db_index=True)
    resolution_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "transaction failure"
        indexes = [models.Index(fields=["operation", "occurred_at"], name="core_txfail_op_time")]

    def __str__(self):
        return f"{self.operation}: {self.error_class} ({self.occurred_at:%Y-%m-%d %H:%M:%S})"


class AfterCommitIncident(models.Model):
    """Something that went wrong after an operation's transaction had ended: a task that was not
    sent, a lock that could not be released, an after-commit callback that raised.

    The operation's answer stands (a commit is answered as a success); this record is how the
    operator hears of it. Written through the monitoring connection, redacted like a failure record.
    """

    class Kind(models.TextChoices):
        TASK_NOT_SENT = "task_not_sent", "Task not sent"
        LOCK_RELEASE_FAILED = "lock_release_failed", "Lock release failed"
        CALLBACK_FAILED = "callback_failed", "After-commit callback failed"
        MONITORING_FAILED = "monitoring_failed", "Monitoring write failed"

    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    operation = models.CharField(max_length=255, blank=True, help_text="module.function of the operation")
    action = models.CharField(max_length=255, blank=True, help_text="the task, lock or callback that failed")
    view_name = models.CharField(max_length=255, blank=True)
    error_class = models.CharField(max_length=255)
    error_message = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True, help_text="file:line where the error was raised")
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    database_alias = models.CharField(max_length=64, blank=True)
    request_method = models.CharField(max_length=10, blank=True)
    request_path = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "after-commit incident"

    def __str__(self):
        return f"{self.get_kind_display()}: {self.action} ({self.occurred_at:%Y-%m-%d %H:%M:%S})"


class TransactionMetrics(models.Model):
    """Hourly totals of one operation (or one lock type), folded from every process's counters.

    Processes count in memory and add their counts here with ``F()`` updates on the row of
    (hour, kind, name), so many processes folding at once add up exactly.
    """

    class Kind(models.TextChoices):
        OPERATION = "operation", "Operation"
        LOCK = "lock", "Lock type"

    hour = models.DateTimeField(db_index=True, help_text="start of the hour (UTC)")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OPERATION)
    operation = models.CharField(max_length=255, db_index=True)
    commits = models.PositiveBigIntegerField(default=0)
    rollbacks = models.PositiveBigIntegerField(default=0, help_text="rolled back by an unexpected error")
    rejections = models.PositiveBigIntegerField(default=0, help_text="rolled back by invalid input or a business rule")
    error_classes = models.JSONField(default=dict, blank=True, help_text="{error class: count}")
    duration_count = models.PositiveBigIntegerField(default=0)
    duration_sum_ms = models.FloatField(default=0.0)
    duration_min_ms = models.FloatField(null=True, blank=True)
    duration_max_ms = models.FloatField(null=True, blank=True)
    slow_count = models.PositiveBigIntegerField(default=0)
    lock_waits = models.PositiveBigIntegerField(default=0)
    lock_wait_sum_ms = models.FloatField(default=0.0)
    lock_timeouts = models.PositiveBigIntegerField(default=0)
    lock_expired = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-hour", "operation"]
        verbose_name = "transaction metrics"
        verbose_name_plural = "transaction metrics"
        constraints = [
            models.UniqueConstraint(fields=["hour", "kind", "operation"], name="core_txmetrics_one_row_per_hour"),
        ]

    def __str__(self):
        return f"{self.operation} {self.hour:%Y-%m-%d %H:00}"

    @property
    def total(self):
        return self.commits + self.rollbacks + self.rejections

    @property
    def average_ms(self):
        return self.duration_sum_ms / self.duration_count if self.duration_count else None


class TransactionHealthCheck(models.Model):
    """A periodic snapshot of transaction health over a window, judged against the thresholds."""

    class Status(models.TextChoices):
        HEALTHY = "healthy", "Healthy"
        DEGRADED = "degraded", "Degraded"
        CRITICAL = "critical", "Critical"

    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    window_hours = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices)
    total_transactions = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    failure_rate = models.FloatField(default=0.0, help_text="percent")
    average_duration_ms = models.FloatField(null=True, blank=True)
    slow_transaction_count = models.PositiveBigIntegerField(default=0)
    deadlock_count = models.PositiveIntegerField(default=0)
    serialization_failure_count = models.PositiveIntegerField(default=0)
    lock_timeouts = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = "checked_at"
        verbose_name = "transaction health check"

    def __str__(self):
        return f"{self.get_status_display()} at {self.checked_at:%Y-%m-%d %H:%M}"
