"""Write paths of onboarding: each function is one transaction on the current database alias."""

from django.core.exceptions import ValidationError

from apps.core.services.row_update import apply_changes, lock_row, save_changes
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.userinfo import save_userinfo

from .models import Bt, SuperTypeAssist, TypeAssist


@atomic_view_operation()
def create_client(*, author, bucode, buname, address="", enable=True):
    """Create a client (the top of a business-unit hierarchy)."""
    client = Bt(bucode=bucode, buname=buname, address=address, enable=enable, identifier=Bt.Identifier.CLIENT)
    return save_userinfo(client, author)


@atomic_view_operation()
def create_site(*, author, client, bucode, buname, address="", enable=True):
    """Create a site under ``client``; refuses a parent that is not a client."""
    if not client.is_client:
        raise ValidationError({"client": f"{client} is a site, not a client."})
    site = Bt(
        bucode=bucode, buname=buname, address=address, enable=enable, identifier=Bt.Identifier.SITE, parent=client
    )
    return save_userinfo(site, author)


BUSINESS_UNIT_FIELDS = ("bucode", "buname", "address", "enable", "parent")


@atomic_view_operation()
def update_business_unit(*, author, bu, expected_version=None, **changes):
    """Change a client or a site: the row is re-read under its row lock and only the fields sent are written.

    ``bu`` is the business unit or its pk; ``expected_version``, when given, refuses the edit if
    the row changed since the caller read it. A site may move to another client (``parent``).
    """
    unknown = set(changes) - set(BUSINESS_UNIT_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    current = lock_row(Bt.objects, bu, expected_version=expected_version)
    changed = apply_changes(current, changes, BUSINESS_UNIT_FIELDS)
    if "parent" in changed and (current.is_client or current.parent is None or not current.parent.is_client):
        raise ValidationError({"client": "A site belongs to a client, and a client to nobody."})
    current.full_clean(exclude=["cuser", "muser"])
    return save_changes(current, author, changed)


@atomic_view_operation()
def create_super_type_assist(*, author, code, name):
    return save_userinfo(SuperTypeAssist(code=code, name=name), author)


@atomic_view_operation()
def create_type_assist(*, author, tatype, tacode, taname, client=None):
    """Create a lookup value in group ``tatype``, global or for one client."""
    if client is not None and not client.is_client:
        raise ValidationError({"client": f"{client} is a site, not a client."})
    type_assist = TypeAssist(tatype=tatype, tacode=tacode, taname=taname, client=client)
    return save_userinfo(type_assist, author)


@atomic_view_operation()
def get_or_create_type_assist(*, author, group_code, group_name, tacode, taname):
    """The global lookup value ``group_code/tacode``, created with its group when missing."""
    group = SuperTypeAssist.objects.filter(code=group_code).first() or create_super_type_assist(
        author=author, code=group_code, name=group_name
    )
    existing = TypeAssist.objects.filter(tatype=group, tacode=tacode, client__isnull=True).first()
    return existing or create_type_assist(author=author, tatype=group, tacode=tacode, taname=taname)
