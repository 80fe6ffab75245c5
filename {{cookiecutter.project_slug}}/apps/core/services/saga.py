"""Sagas: operations that span systems and so cannot be one database transaction.

Each step is an action with a compensation. The action runs in its own transaction; when a later
step fails, the compensations of the steps already completed run in reverse order, each in its
own transaction. (Called inside an outer transaction, each step is a savepoint instead: the saga
recovers from a failed step by compensating, so it must be able to carry on after it.) Every run
is recorded in ``SagaExecutionLog`` through the monitoring connection,
so the record survives whatever the steps roll back.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from apps.core.models import SagaExecutionLog

from .transaction_manager import atomic_view_operation, get_current_db_name

logger = logging.getLogger(__name__)


class SagaError(Exception):
    """A saga step failed; ``log`` is its execution record (status, steps, compensations)."""

    def __init__(self, message, log):
        super().__init__(message)
        self.log = log


@dataclass
class SagaStep:
    name: str
    action: object
    compensation: object = None


class TransactionManager:
    """Run named steps in order, compensating the completed ones in reverse when one fails.

    ``action(context)`` and ``compensation(context)`` receive one dict shared by all steps, in
    which actions leave what later steps and compensations need.
    """

    def __init__(self, name, *, correlation_id=""):
        self.name = name
        self.correlation_id = correlation_id
        self.steps = []

    def add_step(self, name, action, compensation=None):
        self.steps.append(SagaStep(name, action, compensation))
        return self

    def _save(self, log, **fields):
        for field_name, value in fields.items():
            setattr(log, field_name, value)
        try:
            log.save(using=settings.MONITORING_DB_ALIAS)
        except Exception:  # noqa: BLE001 - the record must never break the saga it describes
            logger.exception("could not record saga %s %s", self.name, log.saga_id)

    def execute(self, context=None):
        """Run the saga; return the context, or raise ``SagaError`` after compensating."""
        context = {} if context is None else context
        started = time.perf_counter()
        log = SagaExecutionLog(name=self.name, correlation_id=self.correlation_id, database_alias=get_current_db_name())
        self._save(log)
        completed = []
        for step in self.steps:
            try:
                with atomic_view_operation(savepoint=True):
                    step.action(context)
            except Exception as exc:
                self._compensate(log, completed, context)
                failed = log.compensations_failed
                self._save(
                    log,
                    status=SagaExecutionLog.Status.COMPENSATION_FAILED
                    if failed
                    else SagaExecutionLog.Status.COMPENSATED,
                    failed_step=step.name,
                    error=f"{type(exc).__name__}: {exc}",
                    finished_at=timezone.now(),
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
                raise SagaError(f"saga {self.name} failed at step {step.name}: {exc}", log) from exc
            completed.append(step)
            log.steps_completed = [s.name for s in completed]
        self._save(
            log,
            status=SagaExecutionLog.Status.COMPLETED,
            finished_at=timezone.now(),
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        return context

    def _compensate(self, log, completed, context):
        for step in reversed(completed):
            if step.compensation is None:
                continue
            try:
                with atomic_view_operation(savepoint=True):
                    step.compensation(context)
            except Exception:  # noqa: BLE001 - every other compensation must still run
                logger.exception("compensation %s of saga %s failed", step.name, self.name)
                log.compensations_failed.append(step.name)
            else:
                log.compensations_run.append(step.name)
