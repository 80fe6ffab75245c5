"""Sagas: operations that span systems and so cannot be one database transaction.

Each step is an action with a compensation. The action runs in its own transaction; when a later
step fails, the compensations of the steps already completed run in reverse order, each in its
own transaction. (Called inside an outer transaction, each step is a savepoint instead: the saga
recovers from a failed step by compensating, so it must be able to carry on after it.) Every run
is recorded in ``SagaExecutionLog`` through the monitoring connection,
so the record survives whatever the steps roll back; each step is recorded as it completes.

A run can also stop where no ``except`` runs: the process is killed (SIGKILL, out of memory, a
lost machine). Its log then stays RUNNING with the steps that had completed. An app registers a
recovery for its saga (``register_saga_recovery``) that undoes what those steps left, from the
database alone; ``recover_stuck_sagas`` (a beat task) runs it for every run left RUNNING longer
than ``SAGA_RECOVERY_TIMEOUT`` seconds, and staff can run it for one run at once. Each run is
claimed with a conditional update first, so two recoverers never compensate one run twice.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.core.models import SagaExecutionLog

from .transaction_manager import atomic_view_operation, get_current_db_name
from .transaction_monitoring_service import must_wait_for_the_operation, save_after_the_operation

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
        """Record the run's progress through the monitoring connection.

        On SQLite inside an outer transaction (which holds the file's only write lock until it
        ends) the monitoring connection could not write before that transaction ends: waiting
        here would wait on ourselves. The run is then recorded once, in its final state, as soon
        as the outer transaction has ended (crash recovery does not apply there: a crash rolls
        the whole outer transaction back, steps included).
        """
        for field_name, value in fields.items():
            setattr(log, field_name, value)
        if must_wait_for_the_operation(log.database_alias):
            if log.status != SagaExecutionLog.Status.RUNNING:
                save_after_the_operation(log, "saga")
            return
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
            except BaseException as exc:
                # Also SystemExit (a worker timeout) and KeyboardInterrupt: the completed steps are
                # undone before the process goes, not left for the recovery task.
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
                if not isinstance(exc, Exception):
                    raise
                raise SagaError(f"saga {self.name} failed at step {step.name}: {exc}", log) from exc
            completed.append(step)
            self._save(log, steps_completed=[s.name for s in completed])
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


# Recovery of runs a crash left RUNNING
# ------------------------------------------------------------------------------

_recoveries = {}


def register_saga_recovery(name, recover):
    """Register ``recover(log)`` for the saga ``name``: it undoes what the run's completed steps left.

    ``recover`` reads ``log.steps_completed`` and ``log.correlation_id``, finds the rows the run
    wrote and compensates them in its own transaction(s), and returns the names of the
    compensations it ran. It must be idempotent: it may find some of them already undone.
    """
    _recoveries[name] = recover


class SagaRecovery:
    """Compensating the runs that a crash left RUNNING, past ``older_than`` (any age when None).

    Like ``TransactionManager.execute``, a recovery is a sequence of separate commits by design:
    the claim commits before any compensation runs, so that no second recoverer starts on the
    same run; each compensation commits on its own; the outcome is recorded last. The claim and
    the outcome go through the monitoring connection, like every write of the saga log.
    """

    def __init__(self, older_than=None):
        self.older_than = older_than

    def claim(self, log):
        """Take a RUNNING log for recovery (one recoverer wins); True when this caller owns it."""
        runs = SagaExecutionLog.objects.using(settings.MONITORING_DB_ALIAS).filter(
            pk=log.pk, status=SagaExecutionLog.Status.RUNNING
        )
        if self.older_than is not None:
            runs = runs.filter(started_at__lt=self.older_than)
        claimed = runs.update(
            status=SagaExecutionLog.Status.COMPENSATION_FAILED,
            failed_step=(log.steps_completed or ["(none)"])[-1],
            error="Interrupted before it finished; being compensated by the recovery.",
        )
        return claimed == 1

    def recover(self, log):
        """Compensate one run; return the updated log, or None when another recoverer has it."""
        recover = _recoveries.get(log.name)
        if recover is None:
            logger.error("saga %s %s is stuck and has no recovery registered", log.name, log.saga_id)
            return None
        if not self.claim(log):
            return None
        log.refresh_from_db(using=settings.MONITORING_DB_ALIAS)
        try:
            log.compensations_run = list(recover(log))
        except Exception as exc:  # noqa: BLE001 - recorded; the run stays COMPENSATION_FAILED for a person to look at
            logger.exception("recovery of saga %s %s failed", log.name, log.saga_id)
            log.compensations_failed = [f"recovery: {type(exc).__name__}: {exc}"]
        else:
            log.status = SagaExecutionLog.Status.COMPENSATED
            log.error = "Interrupted before it finished; compensated by the recovery."
        log.finished_at = timezone.now()
        log.save(using=settings.MONITORING_DB_ALIAS)
        return log

    def recover_stuck(self):
        """Compensate every run still RUNNING that started before ``older_than``; return their logs."""
        stuck = SagaExecutionLog.objects.using(settings.MONITORING_DB_ALIAS).filter(
            status=SagaExecutionLog.Status.RUNNING, started_at__lt=self.older_than
        )
        recovered = (self.recover(log) for log in stuck.order_by("started_at"))
        return [log for log in recovered if log is not None]


def recover_saga(log, *, older_than=None):
    """Compensate one run left RUNNING; return the updated log, or None when another recoverer has it."""
    return SagaRecovery(older_than).recover(log)


def recover_stuck_sagas(timeout=None):
    """Compensate every run left RUNNING for longer than ``timeout`` seconds; return the recovered logs."""
    timeout = settings.SAGA_RECOVERY_TIMEOUT if timeout is None else timeout
    return SagaRecovery(timezone.now() - timedelta(seconds=timeout)).recover_stuck()
