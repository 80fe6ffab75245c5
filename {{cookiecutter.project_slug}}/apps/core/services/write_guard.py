"""A runtime guard against units of work that write outside a transaction.

A request, Celery task or command that issues two or more writes in autocommit mode can be
interrupted between them and leave half an operation behind. The guard wraps every database
execution (``connection.execute_wrappers``) and, inside a unit of work, records the writes that
run outside any transaction of the application. At the second such write it acts according to
``WRITE_GUARD_MODE``: ``raise`` (tests: the test fails with the offending statements), ``warn``
(local development) or ``log`` (production: an error log line and a counter).

Django's ORM opens transactions of its own around some single calls (``bulk_create``,
``bulk_update``, ``get_or_create``, ``update_or_create``, a ``delete()`` that cascades, the save of a
model with parents). Those make the one call atomic, not the operation: a ``create`` followed by
a ``bulk_create`` is still two commits. So the guard tells the application's boundaries from the
ORM's (it notes, as each ``atomic`` block is entered, whether ``django.db.models`` opened it); the
writes of one ORM-internal block count as one unprotected write, and only an application
boundary protects. ``WITH ... INSERT/UPDATE/DELETE`` statements are writes too.

Framework bookkeeping is exempt: session saves, ``last_login`` updates, auth tokens and the
admin's log, listed in ``WRITE_GUARD_EXEMPT_TABLES``, and the bookkeeping of idempotency keys
and of the task outbox around a commit (a claim, an answer, "published"), each one statement that
stands alone; so are the monitoring connection's records,
which are meant to commit on their own.
"""

import contextvars
import logging
import re
import sys
import warnings
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.db.backends.signals import connection_created
from prometheus_client import Counter

logger = logging.getLogger(__name__)

UNPROTECTED_WRITES = Counter(
    "unprotected_write_units_total", "Units of work that issued two or more writes outside a transaction", ["unit"]
)

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# A common table expression that writes: WITH moved AS (DELETE FROM ... RETURNING ...) INSERT INTO ...
_CTE = re.compile(r"^\s*WITH\b", re.IGNORECASE)
_CTE_WRITE = re.compile(r"\b(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+[`\"]?\w+[`\"]?\s+SET)\b", re.IGNORECASE)
_TABLE = re.compile(r'(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[`"]?(\w+)', re.IGNORECASE)
_LAST_LOGIN_ONLY = re.compile(r'SET\s+"?last_login"?\s*=\s*%s\s+WHERE', re.IGNORECASE)
DEFAULT_EXEMPT_TABLES = (
    "django_session",
    "django_admin_log",
    "authtoken_token",
    "core_idempotencykey",
    "core_outboxmessage",
)


class UnprotectedWriteError(Exception):
    """Two or more writes of one unit of work ran outside a transaction."""


class UnitOfWork:
    def __init__(self, name):
        self.name = name
        self.unprotected = []
        self.reported = False
        self.orm_block = None  # the ORM-internal transaction of the last unprotected write


_current_unit = contextvars.ContextVar("write_guard_unit", default=None)


@contextmanager
def unit_of_work(name):
    """Watch the writes of one request, task or command named ``name``."""
    token = _current_unit.set(UnitOfWork(name))
    try:
        yield _current_unit.get()
    finally:
        _current_unit.reset(token)


def is_write(sql):
    """True for a statement that changes rows: INSERT, UPDATE, DELETE, REPLACE, or a CTE that does."""
    if _WRITE.match(sql):
        return True
    return bool(_CTE.match(sql) and _CTE_WRITE.search(sql))


def _is_exempt(sql):
    match = _TABLE.search(sql)
    table = match.group(1).lower() if match else ""
    exempt = getattr(settings, "WRITE_GUARD_EXEMPT_TABLES", DEFAULT_EXEMPT_TABLES)
    return table in exempt or bool(_LAST_LOGIN_ONLY.search(sql))


def _report(unit):
    statements = "\n  ".join(unit.unprotected)
    message = (
        f"{unit.name} issued {len(unit.unprotected)} writes outside a transaction; wrap the operation in "
        f"atomic_view_operation() (apps.core.services.transaction_manager):\n  {statements}"
    )
    mode = getattr(settings, "WRITE_GUARD_MODE", "log")
    if mode == "raise":
        raise UnprotectedWriteError(message)
    if not unit.reported:
        unit.reported = True
        UNPROTECTED_WRITES.labels(unit=unit.name).inc()
        if mode == "warn":
            warnings.warn(message, RuntimeWarning, stacklevel=2)
        else:
            logger.error(message, extra={"unit_of_work": unit.name})


# Which atomic blocks the ORM opens for itself
# ------------------------------------------------------------------------------

_ORM_MODULES = ("django.db.models.",)
_PASS_THROUGH_MODULES = ("contextlib", "django.db.transaction", __name__)
_original_atomic_enter = transaction.Atomic.__enter__


def _opened_by_the_orm():
    """True when the ``atomic`` being entered was opened by Django's ORM (``django.db.models``)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(_PASS_THROUGH_MODULES):
            return module.startswith(_ORM_MODULES)
        frame = frame.f_back
    return False


def _noting_atomic_enter(self):
    self._opened_by_the_orm = _opened_by_the_orm()
    return _original_atomic_enter(self)


def _application_blocks(connection):
    """The open atomic blocks that are neither a test case's wrapper nor the ORM's own."""
    return [
        block
        for block in connection.atomic_blocks
        if not getattr(block, "_from_testcase", False) and not getattr(block, "_opened_by_the_orm", False)
    ]


def _orm_block(connection):
    """The outermost ORM-internal block open on ``connection`` (None in autocommit)."""
    for block in connection.atomic_blocks:
        if getattr(block, "_opened_by_the_orm", False):
            return block
    return None


def guard_execute(execute, sql, params, many, context):
    """The execute wrapper: note unprotected writes of the current unit of work."""
    unit = _current_unit.get()
    if unit is not None and is_write(sql) and not _is_exempt(sql):
        connection = context["connection"]
        if connection.alias != getattr(settings, "MONITORING_DB_ALIAS", None) and not _application_blocks(connection):
            block = _orm_block(connection)
            if block is None or block is not unit.orm_block:  # one ORM call's writes commit together: one write
                unit.orm_block = block
                unit.unprotected.append(sql if len(sql) < 300 else sql[:297] + "...")
                if len(unit.unprotected) >= 2:
                    _report(unit)
    return execute(sql, params, many, context)


def install(sender, connection, **kwargs):
    if guard_execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(guard_execute)


def install_on_every_connection():
    """Add the wrapper to connections opened from now on and to those already open."""
    from django.db import connections

    if transaction.Atomic.__enter__ is not _noting_atomic_enter:
        transaction.Atomic.__enter__ = _noting_atomic_enter
    connection_created.connect(install, dispatch_uid="core.write_guard")
    for connection in connections.all(initialized_only=True):
        install(sender=None, connection=connection)


class WriteGuardMiddleware:
    """Each request is a unit of work for the write guard."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with unit_of_work(f"{request.method} {request.path}"):
            return self.get_response(request)
