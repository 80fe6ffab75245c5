"""Write paths of peoples: each function is one transaction on the current database alias."""

from django.contrib.auth.hashers import make_password

from apps.core.services.row_update import apply_changes, lock_row, save_changes
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.userinfo import save_userinfo

from .models import People

CREATE_FIELDS = ("email", "first_name", "last_name", "mobno", "client", "site", "is_staff", "is_superuser")
UPDATABLE_FIELDS = (*CREATE_FIELDS, "peoplename", "is_active")
PROFILE_FIELDS = ("gender", "dateofbirth", "dateofjoin", "people_extras")
ORGANIZATIONAL_FIELDS = ("department", "designation", "reportto", "location")


def _apply(record, values, names):
    changed = [name for name in names if name in values]
    for name in changed:
        setattr(record, name, values[name])
    if changed:
        record.save(update_fields=changed)


@atomic_view_operation()
def create_person(*, author, username, peoplecode, peoplename, password=None, **details):
    """Create a person, its profile and its organizational record, all or nothing.

    The post_save receivers create the profile and organizational rows inside this transaction;
    the details given here are then written onto them.
    """
    person = People(username=username, peoplecode=peoplecode, peoplename=peoplename)
    for name in CREATE_FIELDS:
        if name in details:
            setattr(person, name, details[name])
    if password:
        person.set_password(password)
    else:
        person.set_unusable_password()
    save_userinfo(person, author)
    _apply(person.profile, details, PROFILE_FIELDS)
    _apply(person.organizational, details, ORGANIZATIONAL_FIELDS)
    return person


def update_person(*, author, person, expected_version=None, **changes):
    """Change a person and its profile/organizational details in one transaction.

    ``person`` is the person or its pk. A new password is hashed first (it is slow on purpose),
    outside the transaction; then the person's row is re-read under its row lock and only the
    fields sent are written, so a concurrent deactivation is never undone by a password change
    or any other edit. ``expected_version``, when given, refuses the edit if the person changed
    since it was read.
    """
    password = changes.get("password")
    hashed = make_password(password) if password else None
    return _write_person_changes(
        author=author, person=person, expected_version=expected_version, hashed=hashed, raw=password, changes=changes
    )


@atomic_view_operation(name="apps.peoples.services.update_person")
def _write_person_changes(*, author, person, expected_version, hashed, raw, changes):
    current = lock_row(People.objects, person, expected_version=expected_version)
    changed = apply_changes(current, changes, UPDATABLE_FIELDS)
    if hashed is not None:
        current.password, current._password = hashed, raw
        changed.append("password")
    save_changes(current, author, changed)
    _apply(current.profile, changes, PROFILE_FIELDS)
    _apply(current.organizational, changes, ORGANIZATIONAL_FIELDS)
    return current
