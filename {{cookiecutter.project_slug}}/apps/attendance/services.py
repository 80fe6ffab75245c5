"""Write paths of attendance: each function is one transaction on the current database alias.

A person has at most one open event. ``check_in`` refuses a second one with a clear message; two
check-ins racing past that test are stopped by the database's partial unique constraint, which
the web layer answers with 409.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.services.transaction_manager import atomic_view_operation
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


def _open_event(people, *, for_update=False):
    """The person's event without a check-out, or None."""
    events = PeopleEventlog.objects.filter(people=people, punchouttime__isnull=True)
    if for_update:
        events = events.select_for_update()
    return events.first()


@atomic_view_operation()
def check_in(*, author, people, when=None, lat=None, lng=None, remarks=""):
    """Open an attendance event for ``people`` at ``when`` (now by default).

    The event belongs to the person's client and site (the author's when the person has none).
    Lock later: the person (ATTENDANCE_UPDATE).
    """
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


@atomic_view_operation()
def check_out(*, author, people, when=None, lat=None, lng=None, remarks=""):
    """Close the person's open attendance event at ``when`` (now by default).

    Lock later: the person (ATTENDANCE_UPDATE).
    """
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
