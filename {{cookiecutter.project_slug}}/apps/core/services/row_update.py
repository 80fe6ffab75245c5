"""Read-modify-write of one row inside the operation's transaction: how every update is made.

An update that sets fields on an object loaded before its transaction began, then saves the whole
object, writes back every value of that old copy: a concurrent change to any other field is lost,
and both callers were told their change was saved. So an update service:

1. takes the record's primary key (a stale instance only as an identifier) and the changes;
2. re-reads the row inside its transaction under a row lock (``lock_row``), which waits for a
   concurrent writer to commit and then returns its result;
3. optionally checks the version the caller read (``expected_version``: the form's hidden field,
   the API's ``If-Match``), refusing a stale one with ``StaleVersionError``;
4. applies only the fields the caller sent (``apply_changes``) and saves only those, with the
   modification stamp (``save_changes``, an ``UPDATE`` naming its columns).
"""

from django.db import connections

from apps.core.exceptions import StaleVersionError

from .transaction_manager import get_current_db_name


def primary_key(record):
    """The primary key of ``record``, given as an instance or as the key itself."""
    return getattr(record, "pk", record)


def for_update(queryset):
    """Lock the selected rows until the transaction ends.

    Where the database has it (PostgreSQL), ``FOR NO KEY UPDATE``: it still serializes writers
    of the row but does not block other transactions inserting rows that reference it. Only the
    model's own rows are locked, not those that ``select_related`` joins in.
    """
    features = connections[queryset.db].features
    of = ("self",) if features.has_select_for_update_of else ()
    return queryset.select_for_update(no_key=features.has_select_for_no_key_update, of=of)


def lock_row(queryset, record, *, expected_version=None):
    """Re-read ``record`` (an instance or a pk) from ``queryset`` under a row lock, on the current alias.

    ``expected_version`` is the version the caller read, when it sent one: a row that has moved
    on since is refused (``StaleVersionError``, carrying the current row). A missing row raises
    the model's ``DoesNotExist`` as ``get()`` does.
    """
    queryset = queryset.using(get_current_db_name())
    current = for_update(queryset.filter(pk=primary_key(record))).get()
    if expected_version is not None and current.version != int(expected_version):
        raise StaleVersionError(
            type(current), current.pk, expected=int(expected_version), current=current.version, record=current
        )
    return current


def apply_changes(record, changes, allowed):
    """Set each of ``changes`` that is in ``allowed`` on ``record``; return the names whose value differs."""
    changed = []
    for name in allowed:
        if name in changes and getattr(record, name) != changes[name]:
            setattr(record, name, changes[name])
            changed.append(name)
    return changed


def stamp_fields(record, author):
    """Stamp ``record`` as modified by ``author``; return the stamp's column names."""
    if author is not None and getattr(author, "is_authenticated", False):
        record.muser = author
        return ["muser", "mdtz"]
    return ["mdtz"]


def save_changes(record, author, changed):
    """Save the ``changed`` fields of a row read under ``lock_row``, with its modification stamp.

    Nothing is written when nothing changed: an edit that repeats the current values is not a
    modification (and does not move the row's version).
    """
    if changed:
        record.save(update_fields=[*changed, *stamp_fields(record, author)])
    return record
