"""Transaction boundaries for the project's write paths.

Every operation a user starts runs in one transaction on one database alias: the alias of the
current unit of work, which tenant routing may have chosen for this request or task. These
helpers name that alias for you, so ``transaction.atomic`` and the queries inside it can never
go to different connections.

Nested boundaries join the outer transaction instead of opening a savepoint: a view base class
and the service it calls may both declare a boundary, and the inner one then costs nothing. An
exception in the inner block still rolls back the whole transaction.

The outermost boundary of an operation is also where it is watched. Its name is the decorated
function's ``module.qualname`` (or ``name=``); a boundary opened by a generic base class takes the
name of the first named boundary nested in it. A success is counted in memory only (no query, no
network call; see ``monitoring_metrics``). A failure is counted and written to the failure log
through the monitoring connection after the rollback, once, even when the failing block was
nested in other boundaries or inside a plain ``transaction.atomic`` that rolls back too.
"""

import contextvars
import functools
import logging
import sys
import time
from contextlib import ContextDecorator, contextmanager
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.transaction import TransactionManagementError
from django.http import JsonResponse

from . import monitoring_metrics

logger = logging.getLogger(__name__)

_current_db = contextvars.ContextVar("current_db_alias", default=DEFAULT_DB_ALIAS)
# The operation of each alias's outermost boundary in this context: {alias: _Operation}.
_operations = contextvars.ContextVar("transaction_operations", default=None)
# What runs inside each outermost boundary just before it commits: ``func(alias)`` (see before_commit).
_before_commit = contextvars.ContextVar("before_commit", default=None)


def get_current_db_name():
    """Return the database alias of the current unit of work (request, task or command)."""
    return _current_db.get()


@contextmanager
def use_database(alias):
    """Make ``alias`` the current database for the enclosed code, then restore the previous one.

    The alias lives in a context variable, so it never leaks into another thread or asyncio task.
    """
    token = _current_db.set(alias)
    try:
        yield alias
    finally:
        _current_db.reset(token)


def _is_outermost(connection):
    """True when no transaction of the application is open on ``connection``.

    The transactions a test case wraps around each test do not count: inside them a boundary
    behaves as it does in production, where it is the outermost one.
    """
    return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@contextmanager
def before_commit(func):
    """Run ``func(alias)`` inside every outermost boundary of the enclosed code, just before it commits.

    What ``func`` writes commits or rolls back with the operation; if it raises, the operation
    rolls back and the error propagates. Idempotency keys use it to be marked committed in the
    transaction of the write they protect.
    """
    token = _before_commit.set(func)
    try:
        yield
    finally:
        _before_commit.reset(token)


class _Operation:
    """The outermost boundary of one operation: its name, when it began, and the error of a joined
    inner boundary that failed (which dooms the whole transaction, caught or not)."""

    __slots__ = ("name", "named", "started", "inner_failure")

    def __init__(self, name, named):
        self.name = name
        self.named = named
        self.started = time.perf_counter()
        self.inner_failure = None


class SwallowedFailureError(TransactionManagementError):
    """A joined inner boundary failed, its error was caught, and so the whole operation rolled back.

    A nested boundary without a savepoint cannot be undone alone: its failure dooms the outer
    transaction. Raised at the outer boundary's exit, after the rollback, so that the caller is
    never told the operation succeeded (``__cause__`` is the inner error).
    """


def _qualified_name(func):
    return f"{getattr(func, '__module__', None) or '?'}.{getattr(func, '__qualname__', None) or repr(func)}"


def _caller_name(depth=2):
    """``module.function`` of the code that opened a ``with`` boundary (used when it has no name)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return "anonymous"
    return f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_qualname}"


def _finish(operation, alias, failure):
    """Count the end of an outermost boundary; write a failure record after a rollback. Never raises."""
    duration = time.perf_counter() - operation.started
    try:
        if not monitoring_metrics.monitoring_enabled():
            return
        if failure is None:
            monitoring_metrics.record(operation.name, monitoring_metrics.COMMIT, duration)
            return
        error_class = type(failure).__name__
        if not isinstance(failure, Exception):
            monitoring_metrics.record(operation.name, monitoring_metrics.ROLLBACK, duration, error_class)
            return
        from .transaction_monitoring_service import TransactionMonitoringService, is_expected_error

        if is_expected_error(failure):
            monitoring_metrics.record(operation.name, monitoring_metrics.REJECTED, duration, error_class)
            _mark_counted(failure)
            return
        monitoring_metrics.record(operation.name, monitoring_metrics.ROLLBACK, duration, error_class)
        if getattr(failure, "_transaction_failure_logged", False):
            return  # already recorded by the boundary of another alias it passed through
        try:
            failure._transaction_failure_logged = True
        except AttributeError:
            pass
        TransactionMonitoringService.log_transaction_failure(
            operation.name, failure, duration_ms=duration * 1000.0, database_alias=alias
        )
    except Exception as error:  # noqa: BLE001 - watching an operation must never break it
        _report_incident(MONITORING_FAILED, "transaction monitoring", error, operation, alias)


def _mark_counted(error):
    try:
        error._counted_as_rejection = True
    except AttributeError:
        pass


def count_rejection(name, error=None, *, error_class="ValidationError"):
    """Count a caller's mistake that was refused before any transaction began as a rejection of ``name``.

    A request whose body cannot be parsed, or a form that is invalid, is answered 4xx before its
    operation opens a transaction; it is still a rejection, shown apart from failures. A mistake
    refused inside a boundary was counted there, once: ``error`` is not counted again.
    """
    if error is not None:
        if getattr(error, "_counted_as_rejection", False):
            return
        _mark_counted(error)
        error_class = type(error).__name__
    if monitoring_metrics.monitoring_enabled():
        monitoring_metrics.record(name, monitoring_metrics.REJECTED, 0.0, error_class)


class _AliasAtomic(ContextDecorator):
    """``transaction.atomic`` on an alias resolved when the block is entered, not when decorated.

    The outermost boundary opens the transaction; a nested one joins it (no savepoint) unless
    ``savepoint=True`` is asked for explicitly, which is only worth it where the caller catches
    the inner failure and carries on.
    """

    def __init__(self, using=None, *, savepoint=None, durable=False, name=None):
        self.using = using
        self.savepoint = savepoint
        self.durable = durable
        self.name = name
        self._atomic = None
        self._alias = None
        self._operation = None
        self._token = None

    def __call__(self, func):
        # As ContextDecorator, but each call gets its own boundary named after the function.
        name = self.name or _qualified_name(func)

        @functools.wraps(func)
        def inner(*args, **kwargs):
            with self._recreate_cm(name):
                return func(*args, **kwargs)

        return inner

    def _recreate_cm(self, name=None):
        # A decorated function may run in several threads or recursively at once: give every
        # call its own state instead of sharing this instance.
        return type(self)(self.using, savepoint=self.savepoint, durable=self.durable, name=name or self.name)

    def __enter__(self):
        alias = self.using or get_current_db_name()
        connection = transaction.get_connection(alias)
        savepoint = self.savepoint
        if savepoint is None:
            savepoint = _is_outermost(connection)
        operations = _operations.get() or {}
        current = operations.get(alias)
        if current is None:
            named = self.name is not None
            self._operation = _Operation(self.name if named else _caller_name(), named)
            self._token = _operations.set({**operations, alias: self._operation})
        elif self.name is not None and not current.named:
            current.name, current.named = self.name, True
        self._alias = alias
        self._atomic = transaction.atomic(using=alias, savepoint=savepoint, durable=self.durable)
        try:
            return self._atomic.__enter__()
        except BaseException:
            if self._token is not None:
                _operations.reset(self._token)
                self._operation = self._token = None
            raise

    def __exit__(self, exc_type, exc_value, traceback):
        operation, token = self._operation, self._token
        self._operation = self._token = None
        failure = exc_value
        if exc_value is not None and token is None and not self._atomic.savepoint:
            current = (_operations.get() or {}).get(self._alias)
            if current is not None and current.inner_failure is None:
                current.inner_failure = exc_value  # joined: the outer transaction is doomed now
        doomed = None
        if exc_type is None and token is not None and operation.inner_failure is not None:
            if transaction.get_connection(self._alias).needs_rollback:
                doomed = operation.inner_failure
        hook_error = None
        hook = _before_commit.get()
        if exc_type is None and token is not None and doomed is None and hook is not None:
            try:
                hook(self._alias)
            except Exception as error:  # noqa: BLE001 - rolled back below, then raised
                hook_error = failure = error
                exc_type, exc_value, traceback = type(error), error, error.__traceback__
        try:
            suppressed = self._atomic.__exit__(exc_type, exc_value, traceback)
            if hook_error is not None:
                raise hook_error
            if suppressed:
                failure = None
            if doomed is not None:  # Django rolled back without a word: say it
                failure = SwallowedFailureError(
                    f"{operation.name} rolled back: an inner step failed ({type(doomed).__name__}: {doomed}) "
                    "and its error was caught, but it had no savepoint, so nothing of the operation was saved."
                )
                raise failure from doomed
        except BaseException as error:  # the commit itself failed, and Django rolled back
            failure = error
            raise
        finally:
            if token is not None:
                _operations.reset(token)
                _finish(operation, self._alias, failure)
        return suppressed


def atomic_view_operation(using=None, *, durable=False, savepoint=None, name=None):
    """Run a view, service or task body in one transaction on the current database alias.

    Use it as a decorator (``@atomic_view_operation()``) or a context manager. ``durable=True``
    marks the outermost boundary of an operation: Django then refuses to run it inside another
    transaction, which would make "committed" a promise the caller cannot keep. ``name`` names
    the operation in the metrics and the failure log (default: the decorated function).
    """
    if callable(using):
        raise TypeError("atomic_view_operation takes arguments: write @atomic_view_operation()")
    return _AliasAtomic(using, savepoint=savepoint, durable=durable, name=name)


def signal_aware_transaction(using=None, *, savepoint=None, name=None):
    """Open a transaction for code whose saves fire signals.

    Receivers run synchronously inside the caller's transaction: the rows they write commit or
    roll back together with the row that fired them. Receivers must therefore not open their
    own ``atomic`` and must schedule side effects with ``transaction.on_commit``.
    """
    return _AliasAtomic(using, savepoint=savepoint, durable=False, name=name)


# Kinds of after-commit incident (``apps.core.models.AfterCommitIncident.Kind``).
TASK_NOT_SENT = "task_not_sent"
CALLBACK_FAILED = "callback_failed"
MONITORING_FAILED = "monitoring_failed"


def _callable_name(func):
    """A readable name of an after-commit callback, also for a ``functools.partial`` (which has none)."""
    while isinstance(func, functools.partial):
        func = func.func
    owner = getattr(func, "__self__", None)
    if owner is not None and getattr(owner, "name", None):  # a Celery task's bound delay/apply_async
        return f"{owner.name}.{getattr(func, '__name__', 'call')}"
    return _qualified_name(func)


def _report_incident(kind, action, error, operation, alias):
    """Hand an after-commit incident to the monitoring (imported late: it builds on the models)."""
    try:
        from .after_commit_incidents import record_incident

        record_incident(kind, action, error, operation=operation.name if operation else "", database_alias=alias)
    except Exception:  # noqa: BLE001 - the last resort: the answer must stand
        logger.exception("could not report the after-commit incident of %s", action)


def _guarded(func, alias, kind, action):
    """``func`` wrapped so that nothing it raises escapes into the commit that has already happened."""
    operation = (_operations.get() or {}).get(alias)
    action = action or _callable_name(func)

    def run_after_commit():
        try:
            func()
        except Exception as error:  # noqa: BLE001 - the transaction has committed: report, never raise
            _report_incident(kind, action, error, operation, alias)

    run_after_commit.__qualname__ = run_after_commit.__name__ = f"after_commit[{action}]"
    return run_after_commit


def on_commit(func, using=None, *, incident=CALLBACK_FAILED, action=None):
    """Schedule ``func`` to run after the current unit of work's transaction commits.

    Unlike Celery's ``delay_on_commit`` (which always uses the ``default`` alias) it waits for the
    transaction on the alias the operation really writes to. Once the data has committed, the
    caller is told so: whatever ``func`` raises (a broker that is down, a bug) is caught, logged
    with its traceback and recorded as an after-commit incident of kind ``incident`` (see
    ``after_commit_incidents``), never turned into an error for an operation that succeeded.
    ``action`` names the callback in that record (default: the function's name).
    """
    alias = using or get_current_db_name()
    transaction.on_commit(_guarded(func, alias, incident, action), using=alias, robust=True)


def send_task_on_commit(task, *args, about=None):
    """Send Celery ``task`` with ``args`` once the current unit of work's transaction has committed.

    The task is recorded in the task outbox (``apps.core.outbox``) in the current transaction, on
    the alias the operation writes to, and published right after the commit. A rolled-back
    operation sends nothing; a committed one's task is delivered at least once even when the
    broker was down at commit time (the relay publishes it later), and done once (``task`` is an
    ``IdempotentTask``). ``about`` is the record the task is about: tasks about one record are
    published in the order they were sent.
    """
    from apps.core.outbox.sending import record_task

    return record_task(task, args, about=about)


def integrity_error_payload(model_name, detail=None):
    """The JSON body that answers a write refused by a database constraint."""
    return {
        "error": "integrity_error",
        "model": model_name,
        "detail": detail or f"The {model_name} conflicts with an existing record.",
    }


def handle_integrity_error(model_name, detail=None):
    """The JSON response for a write refused by a database constraint (HTTP 409 Conflict)."""
    return JsonResponse(integrity_error_payload(model_name, detail), status=409)


@dataclass
class BatchFailure:
    """One batch that was rolled back: which items it held and why it failed."""

    batch_number: int
    items: list
    error: str


@dataclass
class BatchResult:
    """What ``transactional_batch_operation`` did: counts, per-batch failures, returned values."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    batches: int = 0
    failures: list = field(default_factory=list)
    results: list = field(default_factory=list)

    @property
    def ok(self):
        return self.failed == 0


def _chunks(items, size):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def transactional_batch_operation(items, operation_func, batch_size=100, using=None, on_batch_done=None):
    """Apply ``operation_func(item)`` to every item, one transaction per batch of ``batch_size``.

    A batch in which any item raises is rolled back whole and reported in the result (its items
    and the error); the batches after it still run. ``on_batch_done(result)`` is called after
    each batch, for progress reporting. Inside an open transaction each batch is a savepoint, so
    a failed batch is undone alone and the others are really kept (until that transaction ends).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = BatchResult()
    name = _qualified_name(operation_func)
    for number, batch in enumerate(_chunks(items, batch_size), start=1):
        result.batches += 1
        result.total += len(batch)
        try:
            with atomic_view_operation(using, name=name, savepoint=True):
                values = [operation_func(item) for item in batch]
        except Exception as exc:  # noqa: BLE001 - every failure is recorded in the result
            logger.warning("batch %s rolled back: %s", number, exc)
            result.failed += len(batch)
            result.failures.append(BatchFailure(number, batch, f"{type(exc).__name__}: {exc}"))
        else:
            result.succeeded += len(batch)
            result.results.extend(values)
        if on_batch_done is not None:
            on_batch_done(result)
    return result


def __getattr__(name):
    """``TransactionManager`` (the saga runner of ``saga.py``), importable from here as well.

    Imported on first use: ``saga`` builds on this module, so it cannot be imported at the top.
    """
    if name == "TransactionManager":
        from .saga import TransactionManager

        return TransactionManager
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
