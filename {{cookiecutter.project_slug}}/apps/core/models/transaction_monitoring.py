"""Records about transactions that must outlive the transactions they describe.

They are written through the ``MONITORING_DB_ALIAS`` connection (a second connection to the same
database), so a saga's log survives the rollback of the saga's own steps.
"""

import uuid

from django.db import models


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
