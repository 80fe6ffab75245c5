"""Write paths of peoples: each function is one transaction on the current database alias.

Who may change what about a person is checked here, so the API, the form pages and any other
caller keep the same rules (``author=None`` is the system: tasks, commands, imports):

- ``is_staff``, ``is_superuser`` and a person's client change only by platform staff, and only
  platform staff change platform staff;
- roles (``apps.core.access.roles.Role``) are given by a client admin of the person's client;
- a password changes by its owner, who gives the old one, or is reset by a client admin of the
  same client or by platform staff; a reset revokes the person's API tokens, and their sessions
  end with the password they were opened with;
- a person's site is a site of their client.
"""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.authtoken.models import Token

from apps.core.access.roles import Role, has_role
from apps.core.access.scoping import is_platform_staff
from apps.core.services.row_update import apply_changes, lock_row, save_changes
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.userinfo import save_userinfo

from .models import People

STAFF_FIELDS = ("is_staff", "is_superuser")
CREATE_FIELDS = ("email", "first_name", "last_name", "mobno", "client", "site", *STAFF_FIELDS)
UPDATABLE_FIELDS = (*CREATE_FIELDS, "peoplename", "is_active")
PROFILE_FIELDS = ("gender", "dateofbirth", "dateofjoin", "people_extras")
ORGANIZATIONAL_FIELDS = ("department", "designation", "reportto", "location")


def _apply(record, values, names):
    changed = [name for name in names if name in values]
    for name in changed:
        setattr(record, name, values[name])
    if changed:
        record.save(update_fields=changed)


def _is_system_or_staff(author):
    return author is None or is_platform_staff(author)


def _is_client_admin_of(author, person):
    return has_role(author, Role.CLIENT_ADMIN) and author.client_id is not None and author.client_id == person.client_id


def _check_staff_fields(author, person, changes):
    """Refuse (403) what only platform staff may do: staff flags, a person's client, staff people."""
    if _is_system_or_staff(author):
        return
    # As stored, not as a bound form may already have set them on the instance.
    stored = People.objects.filter(pk=person.pk).values("client_id", *STAFF_FIELDS).get()
    if stored["is_staff"] or stored["is_superuser"]:
        raise PermissionDenied("Only platform staff change platform staff.")
    if any(changes.get(name) for name in STAFF_FIELDS):
        raise PermissionDenied("Only platform staff make platform staff.")
    if "client" in changes and getattr(changes["client"], "pk", None) != stored["client_id"]:
        raise PermissionDenied("Only platform staff move a person to another client.")


def _check_site(person):
    if person.site_id is not None and (person.client_id is None or person.site.parent_id != person.client_id):
        raise ValidationError({"site": "The site must belong to the person's client."})


def _set_roles(author, person, roles):
    """Give ``person`` exactly the role groups ``roles``; a client admin of their client or staff only."""
    if roles is None:
        return
    if not (_is_system_or_staff(author) or _is_client_admin_of(author, person)):
        raise PermissionDenied("Roles are given by a client admin of the person's client.")
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(sorted(unknown))}."})
    others = person.groups.exclude(name__in=Role.values)
    person.groups.set([*others, *Group.objects.filter(name__in=roles)])
    vars(person).pop("_role_names", None)


def _revoke_credentials(person):
    """End what a person signed in with: their API tokens now, their sessions with the old password hash."""
    Token.objects.filter(user=person).delete()


def _store_password(person, password, hashed=None):
    """Set ``person``'s password, from ``hashed`` when it was hashed already (outside the transaction)."""
    if hashed is None:
        person.set_password(password)
    else:
        person.password, person._password = hashed, password


def _set_password(author, person, password, old_password, hashed=None):
    """Change (owner, with the old password) or reset (client admin of the same client, staff) a password."""
    if author is not None and author.pk == person.pk and not is_platform_staff(author):
        if not old_password or not person.check_password(old_password):
            raise ValidationError({"old_password": "Give your current password to change it."})
        _store_password(person, password, hashed)
        return
    if not (_is_system_or_staff(author) or (_is_client_admin_of(author, person) and not person.is_staff)):
        raise PermissionDenied("A password is changed by its owner or reset by an admin of the same client.")
    _store_password(person, password, hashed)
    _revoke_credentials(person)


@atomic_view_operation()
def create_person(*, author, username, peoplecode, peoplename, password=None, roles=None, **details):
    """Create a person, its profile and its organizational record, all or nothing.

    The post_save receivers create the profile and organizational rows inside this transaction;
    the details given here are then written onto them. A person created by someone other than
    platform staff belongs to the creator's client.
    """
    person = People(username=username, peoplecode=peoplecode, peoplename=peoplename)
    if not _is_system_or_staff(author):
        if any(details.get(name) for name in STAFF_FIELDS):
            raise PermissionDenied("Only platform staff make platform staff.")
        details["client"] = author.client
    for name in CREATE_FIELDS:
        if name in details:
            setattr(person, name, details[name])
    _check_site(person)
    if password:
        person.set_password(password)
    else:
        person.set_unusable_password()
    save_userinfo(person, author)
    _apply(person.profile, details, PROFILE_FIELDS)
    _apply(person.organizational, details, ORGANIZATIONAL_FIELDS)
    _set_roles(author, person, roles)
    return person


def update_person(
    *, author, person, expected_version=None, password=None, old_password=None, roles=None, **changes
):  # fmt: skip
    """Change a person and its profile/organizational details in one transaction.

    ``person`` is the person or its pk. A new password is hashed first (it is slow on purpose),
    outside the transaction; then the person's row is re-read under its row lock, the rules of
    this module are checked against it, and only the fields sent are written, so a concurrent
    deactivation is never undone by a password change or any other edit. ``expected_version``,
    when given, refuses the edit if the person changed since it was read.
    """
    hashed = make_password(password) if password else None
    return _write_person_changes(
        author=author, person=person, expected_version=expected_version, password=password, hashed=hashed,
        old_password=old_password, roles=roles, changes=changes,
    )  # fmt: skip


@atomic_view_operation(name="apps.peoples.services.update_person")
def _write_person_changes(*, author, person, expected_version, password, hashed, old_password, roles, changes):
    current = lock_row(People.objects, person, expected_version=expected_version)
    _check_staff_fields(author, current, changes)
    changed = apply_changes(current, changes, UPDATABLE_FIELDS)
    _check_site(current)
    if password:
        _set_password(author, current, password, old_password, hashed=hashed)
        changed.append("password")
    save_changes(current, author, changed)
    _apply(current.profile, changes, PROFILE_FIELDS)
    _apply(current.organizational, changes, ORGANIZATIONAL_FIELDS)
    _set_roles(author, current, roles)
    return current


@atomic_view_operation()
def change_password(*, author, person, password, old_password=None):
    """Change or reset ``person``'s password (see the module's rules), re-read under its row lock."""
    current = lock_row(People.objects, person)
    _check_staff_fields(author, current, {})
    _set_password(author, current, password, old_password)
    save_changes(current, author, ["password"])
    return current
