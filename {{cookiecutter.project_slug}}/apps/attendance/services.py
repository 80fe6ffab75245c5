"""Write paths of attendance: each function is one transaction on the current database alias.

A person has at most one open event. Check-ins and check-outs of one person run one at a time:
each takes the person's ATTENDANCE_UPDATE lock and then opens its transaction
(``with_lock_and_transaction``), so they are the outermost boundary of their operation and
refuse to run inside an open transaction. ``check_in`` refuses a second open event with a clear
message. The lock is not the only guard: two check-ins racing past that test anyway (a lock that
expired under a slow holder) are stopped by the database's partial unique constraint, which the
web layer answers with 409, and ``check_out`` closes the event it re-read under
``SELECT ... FOR UPDATE``.

A person checks themselves in and out; checking in someone else needs the
``attendance.change_peopleeventlog`` permission (supervisors). ``author=None`` is the system.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.access.permissions import require
from apps.core.services.distributed_locks import with_lock_and_transaction
from apps.core.services.userinfo import save_userinfo

from .models import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, PeopleEventlog


def _validate_position(lat, lng):
    errors = {}
    for name, value, validators in (("lat", lat, LATITUDE_VALIDATORS), ("lng", lng, LONGITUDE_VALIDATORS)):
        if value is None:
            continue
        for validator in validators:
            try:
                validator(value)
            except ValidationError as exc:
                errors[name] = exc.messages
    if (lat is None) != (lng is None):
        errors["lat" if lat is None else "lng"] = ["Give both coordinates or neither."]
    if errors:
        raise ValidationError(errors)


def _check_may_punch(author, people):
    if author is not None and author.pk != people.pk:
        require(author, "attendance.change_peopleeventlog")


def _open_event(people, *, for_update=False):
    """The person's event without a check-out, or None."""
    events = PeopleEventlog.objects.filter(people=people, punchouttime__isnull=True)
    if for_update:
        events = events.select_for_update()
    return events.first()


@with_lock_and_transaction("ATTENDANCE_UPDATE", resource_id_param="people")
def check_in(*, author, people, when=None, lat=None, lng=None, remarks=""):
    """Open an attendance event for ``people`` at ``when`` (now by default).

    The event belongs to the person's client and site (the author's when the person has none).
    """
    _check_may_punch(author, people)
    _validate_position(lat, lng)
    when = when or timezone.now()
    client_id = people.client_id or getattr(author, "client_id", None)
    site_id = people.site_id or getattr(author, "site_id", None)
    if client_id is None or site_id is None:
        raise ValidationError({"people": "The person belongs to no client and site."})
    if _open_event(people) is not None:
        raise ValidationError({"people": f"{people} is already checked in; check out first."})
    event = PeopleEventlog(
        people=people,
        datefor=timezone.localdate(when),
        punchintime=when,
        startlat=lat,
        startlng=lng,
        remarks=remarks,
    )
    return save_userinfo(event, author, client=client_id, site=site_id)


@with_lock_and_transaction("ATTENDANCE_UPDATE", resource_id_param="people")
def check_out(*, author, people, when=None, lat=None, lng=None, remarks=""):
    """Close the person's open attendance event at ``when`` (now by default)."""
    _check_may_punch(author, people)
    _validate_position(lat, lng)
    when = when or timezone.now()
    event = _open_event(people, for_update=True)
    if event is None:
        raise ValidationError({"people": f"{people} is not checked in."})
    if when < event.punchintime:
        raise ValidationError({"when": "The check-out cannot be before the check-in."})
    event.punchouttime = when
    event.endlat, event.endlng = lat, lng
    if remarks:
        event.remarks = remarks
    return save_userinfo(event, author)
