"""Give every Celery task the context of the code that sent it.

A task scheduled by a request for tenant B must read and write tenant B's database: the alias is
put in the message headers when the task is published and restored around the task's run. Each
task run is also a unit of work for the write guard.
"""

from celery.signals import before_task_publish, task_postrun, task_prerun

from .transaction_manager import _current_db, get_current_db_name
from .write_guard import UnitOfWork, _current_unit

HEADER = "db_alias"
_tokens = {}


@before_task_publish.connect(dispatch_uid="core.add_db_alias_header")
def add_db_alias_header(headers=None, **kwargs):
    if headers is not None:
        headers.setdefault(HEADER, get_current_db_name())


def _header(request):
    """The alias header: a worker exposes custom headers as attributes, ``apply()`` in ``headers``."""
    return getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)


@task_prerun.connect(dispatch_uid="core.restore_db_alias")
def restore_db_alias(task_id=None, task=None, **kwargs):
    tokens = [(_current_unit, _current_unit.set(UnitOfWork(f"task {task.name}")))]
    alias = _header(task.request)
    if alias:
        tokens.append((_current_db, _current_db.set(alias)))
    _tokens[task_id] = tokens


@task_postrun.connect(dispatch_uid="core.reset_db_alias")
def reset_db_alias(task_id=None, **kwargs):
    for variable, token in reversed(_tokens.pop(task_id, [])):
        variable.reset(token)
