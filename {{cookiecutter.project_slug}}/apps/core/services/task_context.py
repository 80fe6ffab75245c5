"""Give every Celery task the context of the code that sent it.

A task scheduled by a request for tenant B must read and write tenant B's database: the alias is
put in the message headers when the task is published and restored around the task's run. The
correlation id travels the same way, so the task's log lines and failure records can be found
from the request that scheduled it (a task sent from outside any request gets its own). Each
task run is also a unit of work for the write guard.
"""

from celery.signals import before_task_publish, task_postrun, task_prerun

from .correlation import _correlation_id, _entry_point, clean_correlation_id, get_correlation_id
from .transaction_manager import _current_db, get_current_db_name
from .write_guard import UnitOfWork, _current_unit

HEADER = "db_alias"
CORRELATION_HEADER = "correlation_id"
_tokens = {}


@before_task_publish.connect(dispatch_uid="core.add_context_headers")
def add_context_headers(headers=None, **kwargs):
    if headers is not None:
        headers.setdefault(HEADER, get_current_db_name())
        correlation_id = get_correlation_id()
        if correlation_id:
            headers.setdefault(CORRELATION_HEADER, correlation_id)


def _header(request, name=HEADER):
    """A header: a worker exposes custom headers as attributes, ``apply()`` in ``headers``."""
    return getattr(request, name, None) or (getattr(request, "headers", None) or {}).get(name)


@task_prerun.connect(dispatch_uid="core.enter_task_context")
def enter_task_context(task_id=None, task=None, **kwargs):
    tokens = [
        (_current_unit, _current_unit.set(UnitOfWork(f"task {task.name}"))),
        (_entry_point, _entry_point.set(f"task {task.name}")),
    ]
    alias = _header(task.request)
    if alias:
        tokens.append((_current_db, _current_db.set(alias)))
    correlation_id = _header(task.request, CORRELATION_HEADER)
    if correlation_id:
        tokens.append((_correlation_id, _correlation_id.set(clean_correlation_id(correlation_id))))
    elif not get_correlation_id():
        # Sent from outside any request (beat, a shell): the task's own id correlates its lines.
        tokens.append((_correlation_id, _correlation_id.set(clean_correlation_id(task_id))))
    _tokens[task_id] = tokens


@task_postrun.connect(dispatch_uid="core.leave_task_context")
def leave_task_context(task_id=None, **kwargs):
    for variable, token in reversed(_tokens.pop(task_id, [])):
        variable.reset(token)
