"""Which fields a unique-constraint violation is about, so the caller can be told by field.

A duplicate is the caller's mistake, not a failure of the system, and it is refused in several
places: by the database (an ``IntegrityError``, the only guard that holds under concurrency), by a
ModelForm's ``validate_unique`` and by DRF's unique validators. Every one of them is answered the
same way: HTTP 409 with ``{field: [message]}`` naming the field(s) of the constraint, in Django's
own words ("Vendor with this Code already exists.").

The database's report is read from PostgreSQL's diagnostics (constraint name, ``Key (...)=``
detail) or SQLite's message (``UNIQUE constraint failed: table.column, ...``).
"""

import re

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, models

UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"
UNIQUE_CODES = ("unique", "unique_together")

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<spec>.+)$")
_SQLITE_INDEX = re.compile(r"index '(?P<name>[^']+)'")
_DETAIL_KEY = re.compile(r"Key \((?P<columns>.+?)\)=\(")


def _models_by_table():
    return {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}


def _fields_of_named_constraint(name, models_to_search):
    for model in models_to_search:
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and constraint.name == name and constraint.fields:
                return model, tuple(constraint.fields)
    return None


def _fields_of_columns(model, columns):
    by_column = {field.column: field.name for field in model._meta.concrete_fields}
    names = tuple(by_column.get(column.strip().strip('"')) for column in columns)
    return names if names and all(names) else None


def _postgres_violation(cause):
    diag = getattr(cause, "diag", None)
    table = getattr(diag, "table_name", None)
    model = _models_by_table().get(table)
    if model is None:
        return None
    found = _fields_of_named_constraint(getattr(diag, "constraint_name", None), [model])
    if found is not None:
        return found
    match = _DETAIL_KEY.search(getattr(diag, "message_detail", None) or "")
    fields = _fields_of_columns(model, match.group("columns").split(",")) if match else None
    return (model, fields) if fields else None


def _sqlite_violation(message):
    match = _SQLITE_UNIQUE.search(message)
    if match is None:
        return None
    spec = match.group("spec").strip()
    index = _SQLITE_INDEX.match(spec)
    if index is not None:
        return _fields_of_named_constraint(index.group("name"), _models_by_table().values())
    tables = {}
    for qualified in spec.split(","):
        table, _, column = qualified.strip().rpartition(".")
        tables.setdefault(table, []).append(column)
    if len(tables) != 1:
        return None
    table, columns = next(iter(tables.items()))
    model = _models_by_table().get(table)
    fields = _fields_of_columns(model, columns) if model is not None else None
    return (model, fields) if fields else None


def violated_unique_constraint(exc):
    """``(model, field names)`` of the unique constraint ``exc`` reports, or None when it is not one."""
    if not isinstance(exc, IntegrityError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    try:
        if sqlstate is not None:
            return _postgres_violation(cause) if sqlstate == UNIQUE_VIOLATION else None
        return _sqlite_violation(str(exc))
    except Exception:  # noqa: BLE001 - an unreadable report is answered as a generic conflict
        return None


def is_input_constraint_violation(exc):
    """True when ``exc`` is a unique or check constraint refusing the caller's values (not a bug)."""
    if not isinstance(exc, IntegrityError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or getattr(exc.__cause__, "pgcode", None)
    if sqlstate is not None:
        return sqlstate in (UNIQUE_VIOLATION, CHECK_VIOLATION)
    message = str(exc)
    return message.startswith(("UNIQUE constraint failed", "CHECK constraint failed"))


def unique_message(model, fields):
    """The words for a duplicate of ``fields`` of ``model``.

    A constraint's own ``violation_error_message``, when its author wrote one; otherwise Django's
    ("Vendor with this Code already exists.").
    """
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and set(constraint.fields) >= set(fields)
            and constraint.violation_error_message not in (None, constraint.default_violation_error_message)
        ):
            return constraint.get_violation_error_message()
    error = models.Model.unique_error_message(None, model, list(fields))
    return error.messages[0]


def unique_field_errors(exc, visible_fields=None):
    """``{field: [message]}`` for a unique-constraint ``IntegrityError``, or None when it is not one.

    ``visible_fields`` are the fields the caller filled in (a form's, a serializer's): the errors
    name those of the constraint, the others (a client the service set) are left out of the
    message; when the caller filled in none of them, all are named.
    """
    found = violated_unique_constraint(exc)
    if found is None:
        return None
    model, fields = found
    shown = [name for name in fields if visible_fields is None or name in visible_fields] or list(fields)
    message = unique_message(model, shown)
    return {name: [message] for name in shown}


def unique_form_errors(form):
    """When every error of an invalid ``form`` is a duplicate, put each by its field(s) and return True.

    A ModelForm reports a multi-field duplicate as a non-field error; it is moved to the fields of
    the constraint (those the form has), so that the page shows it where the input is.
    """
    errors = form.errors.as_data()
    if not errors or not all(error.code in UNIQUE_CODES for items in errors.values() for error in items):
        return False
    moved = []
    for error in errors.get(NON_FIELD_ERRORS, ()):
        fields = [name for name in (error.params or {}).get("unique_check", ()) if name in form.fields]
        if fields:
            moved.append((fields, error.messages))
    if moved and len(moved) == len(errors.get(NON_FIELD_ERRORS, ())):
        del form.errors[NON_FIELD_ERRORS]
        for fields, messages in moved:
            for name in fields:
                form.errors.setdefault(name, form.error_class(renderer=form.renderer)).extend(messages)
    return True
