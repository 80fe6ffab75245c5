"""A runtime guard against units of work that write outside a transaction.

A request, Celery task or command that issues two or more writes in autocommit mode can be
interrupted between them and leave half an operation behind. The guard wraps every database
execution (``connection.execute_wrappers``) and, inside a unit of work, records the writes that
run outside any transaction of the application. At the second such write it acts according to
``WRITE_GUARD_MODE``: ``raise`` (tests: the test fails with the offending statements), ``warn``
(local development) or ``log`` (production: an error log line and a counter).

Framework bookkeeping is exempt: session saves, ``last_login`` updates, auth tokens and the
admin's log, listed in ``WRITE_GUARD_EXEMPT_TABLES``; so are the monitoring connection's records,
which are meant to commit on their own.
"""

import contextvars
import logging
import re
import warnings
from contextlib import contextmanager

from django.conf import settings
from django.db.backends.signals import connection_created
from prometheus_client import Counter

from .transaction_manager import _is_outermost

logger = logging.getLogger(__name__)

UNPROTECTED_WRITES = Counter(
    "unprotected_write_units_total", "Units of work that issued two or more writes outside a transaction", ["unit"]
)

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[`"]?(\w+)', re.IGNORECASE)
_LAST_LOGIN_ONLY = re.compile(r'SET\s+"?last_login"?\s*=\s*%s\s+WHERE', re.IGNORECASE)
DEFAULT_EXEMPT_TABLES = ("django_session", "django_admin_log", "authtoken_token")


class UnprotectedWriteError(Exception):
    """Two or more writes of one unit of work ran outside a transaction."""


class UnitOfWork:
    def __init__(self, name):
        self.name = name
        self.unprotected = []
        self.reported = False


_current_unit = contextvars.ContextVar("write_guard_unit", default=None)


@contextmanager
def unit_of_work(name):
    """Watch the writes of one request, task or command named ``name``."""
    token = _current_unit.set(UnitOfWork(name))
    try:
        yield _current_unit.get()
    finally:
        _current_unit.reset(token)


def _is_exempt(sql):
    match = _TABLE.match(sql)
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


def guard_execute(execute, sql, params, many, context):
    """The execute wrapper: note unprotected writes of the current unit of work."""
    unit = _current_unit.get()
    if unit is not None and _WRITE.match(sql) and not _is_exempt(sql):
        connection = context["connection"]
        if connection.alias != getattr(settings, "MONITORING_DB_ALIAS", None) and _is_outermost(connection):
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
