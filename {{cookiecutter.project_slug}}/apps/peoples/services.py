"""Write paths of peoples: each function is one transaction on the current database alias."""

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


@atomic_view_operation()
def update_person(*, author, person, **changes):
    """Change a person and its profile/organizational details in one transaction."""
    for name in UPDATABLE_FIELDS:
        if name in changes:
            setattr(person, name, changes[name])
    if changes.get("password"):
        person.set_password(changes["password"])
    save_userinfo(person, author)
    _apply(person.profile, changes, PROFILE_FIELDS)
    _apply(person.organizational, changes, ORGANIZATIONAL_FIELDS)
    return person
