"""Transaction boundaries for the project's write paths.

Every operation a user starts runs in one transaction on one database alias: the alias of the
current unit of work, which tenant routing may have chosen for this request or task. These
helpers name that alias for you, so ``transaction.atomic`` and the queries inside it can never
go to different connections.

Nested boundaries join the outer transaction instead of opening a savepoint: a view base class
and the service it calls may both declare a boundary, and the inner one then costs nothing. An
exception in the inner block still rolls back the whole transaction.
"""

import contextvars
import logging
from contextlib import ContextDecorator, contextmanager
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import JsonResponse

logger = logging.getLogger(__name__)

_current_db = contextvars.ContextVar("current_db_alias", default=DEFAULT_DB_ALIAS)


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


class _AliasAtomic(ContextDecorator):
    """``transaction.atomic`` on an alias resolved when the block is entered, not when decorated.

    The outermost boundary opens the transaction; a nested one joins it (no savepoint) unless
    ``savepoint=True`` is asked for explicitly, which is only worth it where the caller catches
    the inner failure and carries on.
    """

    def __init__(self, using=None, *, savepoint=None, durable=False):
        self.using = using
        self.savepoint = savepoint
        self.durable = durable
        self._atomic = None

    def _recreate_cm(self):
        # A decorated function may run in several threads or recursively at once: give every
        # call its own state instead of sharing this instance.
        return type(self)(self.using, savepoint=self.savepoint, durable=self.durable)

    def __enter__(self):
        alias = self.using or get_current_db_name()
        savepoint = self.savepoint
        if savepoint is None:
            savepoint = _is_outermost(transaction.get_connection(alias))
        self._atomic = transaction.atomic(using=alias, savepoint=savepoint, durable=self.durable)
        return self._atomic.__enter__()

    def __exit__(self, exc_type, exc_value, traceback):
        return self._atomic.__exit__(exc_type, exc_value, traceback)


def atomic_view_operation(using=None, *, durable=False, savepoint=None):
    """Run a view, service or task body in one transaction on the current database alias.

    Use it as a decorator (``@atomic_view_operation()``) or a context manager. ``durable=True``
    marks the outermost boundary of an operation: Django then refuses to run it inside another
    transaction, which would make "committed" a promise the caller cannot keep.
    """
    if callable(using):
        raise TypeError("atomic_view_operation takes arguments: write @atomic_view_operation()")
    return _AliasAtomic(using, savepoint=savepoint, durable=durable)


def signal_aware_transaction(using=None, *, savepoint=None):
    """Open a transaction for code whose saves fire signals.

    Receivers run synchronously inside the caller's transaction: the rows they write commit or
    roll back together with the row that fired them. Receivers must therefore not open their
    own ``atomic`` and must schedule side effects with ``transaction.on_commit``.
    """
    return _AliasAtomic(using, savepoint=savepoint, durable=False)


def on_commit(func, using=None):
    """Schedule ``func`` to run after the current unit of work's transaction commits."""
    transaction.on_commit(func, using=using or get_current_db_name())


def handle_integrity_error(model_name, detail=None):
    """The JSON response for a write refused by a database constraint (HTTP 409 Conflict)."""
    return JsonResponse(
        {
            "error": "integrity_error",
            "model": model_name,
            "detail": detail or f"The {model_name} conflicts with an existing record.",
        },
        status=409,
    )


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
    each batch, for progress reporting.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = BatchResult()
    for number, batch in enumerate(_chunks(items, batch_size), start=1):
        result.batches += 1
        result.total += len(batch)
        try:
            with atomic_view_operation(using):
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
