"""Test helpers for proving that write paths are all-or-nothing.

``assert_all_or_nothing`` proves it for a whole operation without knowing its steps: it records
every write the operation sends, runs it again once per write with that write failing, and checks
that each failed run left the database as it was, sent nothing and told the caller.

``fault_at`` makes one named step of a write path raise; ``RowCounts`` records how many rows a set
of models has before and after, for tests that say something about one particular step.
"""

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from celery import signals
from django.apps import apps
from django.core import mail
from django.db import DatabaseError, connections, router, transaction

from .services.transaction_manager import _is_outermost, get_current_db_name

logger = logging.getLogger(__name__)


class InjectedFault(Exception):
    """The failure a test injects into one step of a write path."""


@contextmanager
def fault_at(target, attribute):
    """Make ``target.attribute`` raise ``InjectedFault`` while the block runs.

    ``target`` is an object or an import path string, as for ``unittest.mock.patch.object`` and
    ``unittest.mock.patch``: ``fault_at(WomDetails.objects, "bulk_create")`` or
    ``fault_at("apps.work_order_management.services", "_name_permit")``.
    """
    fault = InjectedFault(f"injected fault at {attribute}")
    if isinstance(target, str):
        patcher = mock.patch(f"{target}.{attribute}", side_effect=fault)
    else:
        patcher = mock.patch.object(target, attribute, side_effect=fault)
    with patcher:
        yield fault


class RowCounts:
    """Row counts of some models, to compare before and after an operation."""

    def __init__(self, *models, using="default"):
        self.models = models
        self.using = using
        self.before = self.count()

    def count(self):
        return {model._meta.label: model._base_manager.using(self.using).count() for model in self.models}

    def changed(self):
        """The models whose row count differs from when this snapshot was taken."""
        after = self.count()
        return {label: (self.before[label], after[label]) for label in after if after[label] != self.before[label]}


# All or nothing, whatever the steps
# ------------------------------------------------------------------------------
#
# ``fault_at`` needs the test to know every step of a write path. ``assert_all_or_nothing`` needs
# nothing but the operation: it watches the statements the operation sends to the database and
# makes each write fail in turn, so writes made by receivers, ``save()`` overrides and helpers the
# test's author never heard of are covered too.

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_TABLE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[`"]?([\w.]+)', re.IGNORECASE
)
_RELEASE_SAVEPOINT = re.compile(r"^\s*RELEASE\s+SAVEPOINT\b", re.IGNORECASE)
COMMIT = "COMMIT"


class InjectedWriteFault(DatabaseError):
    """The database error ``assert_all_or_nothing`` raises in place of one write (or the commit)."""


class NotAllOrNothing(AssertionError):
    """An operation left rows behind, sent something, or hid a failure when one of its writes failed."""


@dataclass(frozen=True)
class WriteStatement:
    """One write an operation sent on its alias: its place in the operation, its kind, table and SQL.

    ``kind`` is INSERT, UPDATE, DELETE or REPLACE, or ``COMMIT`` for the commit of a transaction of
    the operation that wrote something (a commit can fail too: a serialization failure, a deferred
    constraint).
    """

    number: int
    kind: str
    table: str
    sql: str

    @property
    def label(self):
        return "the commit" if self.kind == COMMIT else f"{self.kind} {self.table}"

    def __str__(self):
        return f"write {self.number} ({self.label})"


@dataclass
class OperationRecord:
    """What one successful run of an operation did: its writes in order and the side effects it sent."""

    writes: list
    tasks: list
    emails: list

    @property
    def tables(self):
        return sorted({write.table for write in self.writes if write.kind != COMMIT})


class _Run:
    """One run of the operation: records its writes and side effects, and fails one write if asked.

    Writes are numbered in the order they are sent on the alias while the operation runs. Writes
    made after the operation's commit (by on-commit callbacks, or by tasks run eagerly) are not the
    operation's: they are noted (their tables are compared and restored too) but never failed.
    """

    def __init__(self, connection, fail_at=None):
        self.connection = connection
        self.fail_at = fail_at
        self.in_test_transaction = bool(connection.atomic_blocks)
        self.writes = []
        self.other_tables = set()  # written after the commit or by a task
        self.injected = None
        self.tasks = []
        self.emails = []
        self.result = None
        self.error = None
        self._after_commit = 0
        self._in_task = 0
        self._wrote = False  # a write was sent since the last commit

    @property
    def tables(self):
        return {write.table for write in self.writes if write.kind != COMMIT} | self.other_tables

    def _write(self, kind, table, sql):
        if kind == COMMIT:
            if not self._wrote:
                return  # a read-only transaction (a constraint check, a locked read): nothing to lose
            self._wrote = False
        else:
            self._wrote = True
        statement = WriteStatement(len(self.writes) + 1, kind, table, sql)
        self.writes.append(statement)
        if statement.number == self.fail_at:
            self.injected = statement
            raise InjectedWriteFault(f"assert_all_or_nothing made {statement} fail")

    # Watching the connection -----------------------------------------------------------------

    def execute(self, execute, sql, params, many, context):
        """The execute wrapper: number the operation's writes; raise instead of sending the chosen one."""
        match = _WRITE.match(sql)
        if match and (self._after_commit or self._in_task):
            self.other_tables.add(_table_of(sql))
        elif match:
            self._write(match.group(1).upper(), _table_of(sql), sql)
        elif self.in_test_transaction and _RELEASE_SAVEPOINT.match(sql) and self._releases_outermost():
            # Inside a test's transaction the operation's own "commit" is the release of its savepoint.
            self._write(COMMIT, "", sql)
        return execute(sql, params, many, context)

    def _releases_outermost(self):
        return not (self._after_commit or self._in_task) and _is_outermost(self.connection)

    def commit(self, original):
        def commit():
            if not (self._after_commit or self._in_task):
                self._write(COMMIT, "", COMMIT)
            return original()

        return commit

    def run_commit_hooks(self, original):
        def run_and_clear_commit_hooks():
            self._after_commit += 1
            try:
                return original()
            finally:
                self._after_commit -= 1

        return run_and_clear_commit_hooks

    # Watching side effects -------------------------------------------------------------------

    def task_published(self, sender=None, **kwargs):
        if not self._in_task:
            self.tasks.append(str(sender))

    def task_started(self, sender=None, **kwargs):
        if not self._in_task:
            self.tasks.append(getattr(sender, "name", str(sender)))
        self._in_task += 1

    def task_finished(self, sender=None, **kwargs):
        self._in_task = max(0, self._in_task - 1)

    # Running ---------------------------------------------------------------------------------

    def __call__(self, operation):
        connection = self.connection
        outbox = getattr(mail, "outbox", None)
        sent_before = len(outbox) if outbox is not None else 0
        callbacks_before = len(connection.run_on_commit)
        broken_before = connection.needs_rollback
        receivers = [
            (signals.before_task_publish, self.task_published),
            (signals.task_prerun, self.task_started),
            (signals.task_postrun, self.task_finished),
        ]
        for signal, receiver in receivers:
            signal.connect(receiver, weak=False)
        connection.commit = self.commit(connection.commit)
        connection.run_and_clear_commit_hooks = self.run_commit_hooks(connection.run_and_clear_commit_hooks)
        try:
            with connection.execute_wrapper(self.execute):
                try:
                    self.result = operation()
                except Exception as error:  # noqa: BLE001 - the failure is what is being checked
                    self.error = error
                if self.in_test_transaction:
                    self._forget_broken_test_transaction(broken_before)
                    self._run_callbacks_as_if_committed(callbacks_before)
        finally:
            del connection.commit, connection.run_and_clear_commit_hooks
            for signal, receiver in receivers:
                signal.disconnect(receiver)
            outbox = getattr(mail, "outbox", None)
            if outbox is not None:
                self.emails = [message.subject for message in outbox[sent_before:]]
        return self

    def _forget_broken_test_transaction(self, broken_before):
        """Undo the mark a write failing outside any boundary leaves on the test's transaction.

        Django marks the enclosing atomic block for rollback when a ``save()`` fails in it; in
        production such a write runs in autocommit and nothing is marked. The injected fault was
        never sent to the database, so the test's transaction is intact and may carry on.
        """
        if self.injected is not None and self.connection.needs_rollback and not broken_before:
            self.connection.needs_rollback = False

    def _run_callbacks_as_if_committed(self, start):
        """Inside a test's transaction nothing commits: run what the commit would have run.

        The callbacks registered in the operation's savepoint are still queued when it was released
        (committed) and were dropped by Django when it was rolled back; the ones left run now, as
        they would have after the commit. Robust ones log their failure; others reach the caller.
        """
        pending = self.connection.run_on_commit[start:]
        del self.connection.run_on_commit[start:]
        self._after_commit += 1
        try:
            for _savepoints, callback, robust in pending:
                try:
                    callback()
                except Exception as error:
                    if not robust:
                        self.error = self.error or error
                    else:
                        logger.error("on_commit callback %r failed", callback, exc_info=True)
        finally:
            self._after_commit -= 1

    def failure_reached_caller(self):
        status = getattr(self.result, "status_code", None)
        return self.error is not None or (status is not None and status >= 400)


def _table_of(sql):
    match = _TABLE.match(sql)
    return match.group(1) if match else "?"


# The starting state, kept and put back
# ------------------------------------------------------------------------------


def _models_by_table(alias):
    """Every table of a model that lives on ``alias``, with the model that reads it."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or not router.allow_migrate_model(alias, model):
            continue
        tables.setdefault(opts.db_table, model)
    return tables


def _columns(model):
    return [field for field in model._meta.local_concrete_fields if not getattr(field, "generated", False)]


class _TableState:
    """The rows of one table, by primary key, as Python values."""

    def __init__(self, model, alias):
        self.model = model
        self.alias = alias
        self.fields = _columns(model)
        self.names = [field.attname for field in self.fields]
        pk = self.names.index(model._meta.pk.attname)
        rows = model._base_manager.db_manager(alias).order_by().values_list(*self.names)
        self.rows = {row[pk]: row for row in rows}

    def differences(self, now):
        """``(added, removed, changed)`` primary keys of ``now`` compared with this state."""
        added = sorted(now.rows.keys() - self.rows.keys(), key=str)
        removed = sorted(self.rows.keys() - now.rows.keys(), key=str)
        changed = sorted((pk for pk in self.rows.keys() & now.rows.keys() if self.rows[pk] != now.rows[pk]), key=str)
        return added, removed, changed

    def describe(self, now):
        added, removed, changed = self.differences(now)
        parts = []
        if added:
            parts.append(f"{len(added)} row(s) left behind (pk {_some(added)})")
        if removed:
            parts.append(f"{len(removed)} row(s) gone (pk {_some(removed)})")
        for pk in changed[:3]:
            fields = [
                f"{name} {_short(old)} -> {_short(new)}"
                for name, old, new in zip(self.names, self.rows[pk], now.rows[pk], strict=True)
                if old != new
            ]
            parts.append(f"row pk {pk} changed: {', '.join(fields)}")
        if len(changed) > 3:
            parts.append(f"{len(changed) - 3} more row(s) changed")
        return "; ".join(parts)

    def put_back(self, now):
        """Make the table hold exactly these rows again, without signals, cascades or ``save()``."""
        added, removed, changed = self.differences(now)
        manager = self.model._base_manager.db_manager(self.alias)
        pk_name = self.model._meta.pk.attname
        if added:
            manager.filter(pk__in=added)._raw_delete(self.alias)
        for pk in changed:
            values = {name: value for name, value in zip(self.names, self.rows[pk], strict=True) if name != pk_name}
            manager.filter(pk=pk).update(**values)
        if removed:
            objs = [self.model(**dict(zip(self.names, self.rows[pk], strict=True))) for pk in removed]
            manager._insert(objs, fields=self.fields, raw=True, using=self.alias)


def _short(value):
    text = str(value) if hasattr(value, "isoformat") else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _some(pks):
    shown = ", ".join(str(pk) for pk in pks[:5])
    return shown + (", ..." if len(pks) > 5 else "")


class _DatabaseState:
    """The content of every model table on an alias, to compare with later and to put back."""

    def __init__(self, alias):
        self.alias = alias
        self.models = _models_by_table(alias)
        self.tables = {table: _TableState(model, alias) for table, model in self.models.items()}

    def changes(self, tables):
        """``{table: description}`` of the given tables that no longer hold what they held."""
        changes = {}
        for table in sorted(tables):
            if table not in self.tables:
                continue
            before, now = self.tables[table], _TableState(self.models[table], self.alias)
            if before.rows != now.rows:
                changes[table] = before.describe(now)
        return changes

    def restore(self, tables):
        """Put the given tables back as they were: rows added are deleted by primary key, the rest rewritten.

        One transaction (a savepoint inside a test's transaction); foreign keys are checked at
        its end, so the order of the tables does not matter.
        """
        with transaction.atomic(using=self.alias):
            for table in sorted(tables):
                if table in self.tables:
                    before = self.tables[table]
                    before.put_back(_TableState(self.models[table], self.alias))


# The assertion
# ------------------------------------------------------------------------------


def assert_all_or_nothing(operation, *, using=None):
    """Prove that ``operation`` is all or nothing by making each of its writes fail in turn.

    ``operation`` is a callable without arguments that performs one operation as production does:
    a service call, a test-client request, a management command::

        def test_create_work_permit_is_all_or_nothing(author, site_bt, permit_type, approvers, details):
            assert_all_or_nothing(
                lambda: create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
            )

    1. It runs the operation once and records, through an execute wrapper on the alias ``using``
       (default: the current unit of work's alias), every write statement it sends (INSERT,
       UPDATE, DELETE, in order, with their tables), then the commit of its transaction, and the
       tasks and e-mails it sends.
    2. It runs the operation again once per recorded write, from the same starting state, making
       that write (or the commit) raise ``InjectedWriteFault``, a ``DatabaseError``, instead of
       being sent. After each run, every table written by the first run or by this one must hold
       exactly the rows it held before (the same primary keys, the same values), no task and no
       e-mail may have been sent, and the failure must have reached the caller: an exception, or
       for a request an error response (status 400 or above).
    3. It raises ``NotAllOrNothing`` naming each write whose failure broke that promise, with its
       table, its SQL and what was left behind; or returns an ``OperationRecord`` of the first run.

    The operation runs as in production: it opens its own outermost transaction (durable
    boundaries and ``with_lock_and_transaction`` accept it), takes its locks, and its on-commit
    callbacks run after a commit and are dropped by a rollback. So the starting state is not kept
    by a transaction around each run (it would make the operation's boundary a nested one and its
    callbacks never run); it is put back after every run instead. The content of every model table
    on the alias is read before the first run; after each run, the tables that run wrote are
    rewritten to that content, without signals or ``save()``: rows it added are deleted by primary
    key, rows it changed or deleted are written back. For example, when a run of
    ``create_work_order`` inserted order 7 and its history entry 12 and raised its client's counter
    from 41 to 42, order 7 and entry 12 are deleted and the counter row is written back with 41.

    Records written on other aliases on purpose (the failure log, through the monitoring
    connection) stay. A task outbox is a table like the others: an outbox row left by a failed run
    is reported as a row left behind. Writes sent from other threads are not watched.

    It works in a ``django_db`` test and in a ``django_db(transaction=True)`` one. In the first the
    test's transaction stays open, so the operation's "commit" is the release of its savepoint and
    its remaining on-commit callbacks are run right after it, as a commit would. Call it outside
    any transaction of your own.

    To prove a Celery task's body, call the task function itself (``my_task(pk)``): the body of a
    task sent with ``.delay()`` is a side effect of the operation, not part of it.

    Build the operation's arguments inside the callable when the service changes them in memory,
    so that every run starts from the database as a request would::

        assert_all_or_nothing(lambda: update_person(author=author, person=People.objects.get(pk=pk), mobno="+1"))
    """
    alias = using or get_current_db_name()
    connection = connections[alias]
    if not _is_outermost(connection):
        raise RuntimeError(
            "assert_all_or_nothing runs the operation as its outermost transaction: call it outside "
            "transaction.atomic() and outside any other transaction of the test."
        )
    start = _DatabaseState(alias)
    first = _Run(connection)(operation)
    if first.failure_reached_caller():
        start.restore(first.tables)
        raise AssertionError(
            f"the operation failed on its own, before any write was made to fail: {first.error or first.result!r}"
        ) from first.error
    operation_writes = [write for write in first.writes if write.kind != COMMIT]
    if not operation_writes:
        start.restore(first.tables)
        raise AssertionError(f"the operation sent no write on database {alias!r}; pass using= the alias it writes to")
    start.restore(first.tables)

    problems = []
    for write in first.writes:
        run = _Run(connection, fail_at=write.number)(operation)
        tables = first.tables | run.tables
        found = []
        if run.injected is None:
            found.append(
                f"the run never reached write {write.number} (it sent {len(run.writes)}): the operation does "
                "not repeat itself from the same state; build its arguments inside the callable"
            )
        if not run.failure_reached_caller():
            found.append(f"the failure did not reach the caller, which got {run.result!r}")
        found.extend(f"{table}: {change}" for table, change in start.changes(tables).items())
        found.extend(f"task sent: {task}" for task in run.tasks)
        found.extend(f"e-mail sent: {subject!r}" for subject in run.emails)
        start.restore(tables)
        if found:
            sql = write.sql if len(write.sql) <= 400 else write.sql[:397] + "..."
            problems.append(f"- {write} failed, and:\n    " + "\n    ".join([*found, f"SQL: {sql}"]))

    if problems:
        commits = sum(write.kind == COMMIT for write in first.writes)
        raise NotAllOrNothing(
            f"the operation is not all or nothing on database {alias!r}: it sends {len(operation_writes)} writes "
            f"({', '.join(sorted(first.tables))}) and {commits} commit(s); each was made to fail in turn.\n"
            + "\n".join(problems)
        )
    return OperationRecord(writes=first.writes, tasks=first.tasks, emails=first.emails)
