"""Checking in and out: one open event per person, enforced by the code and by the database."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in, check_out

pytestmark = pytest.mark.django_db


def test_check_in_opens_an_event_at_the_persons_site(author, guard, site_bt):
    when = timezone.now() - timedelta(hours=1)
    event = check_in(author=author, people=guard, when=when, lat=Decimal("12.5"), lng=Decimal("77.25"))
    event.refresh_from_db()
    assert event.is_open
    assert (event.people, event.site, event.client_id, event.cuser) == (guard, site_bt, site_bt.parent_id, author)
    assert (event.punchintime, event.datefor) == (when, timezone.localdate(when))
    assert (event.startlat, event.startlng) == (Decimal("12.5"), Decimal("77.25"))


def test_check_in_refuses_a_second_open_event(author, guard):
    check_in(author=author, people=guard)
    with pytest.raises(ValidationError) as caught:
        check_in(author=author, people=guard)
    assert "people" in caught.value.error_dict
    assert PeopleEventlog.objects.count() == 1


def test_database_refuses_a_second_open_event_when_the_check_is_raced(author, guard):
    check_in(author=author, people=guard)
    with mock.patch("apps.attendance.services._open_event", return_value=None), pytest.raises(IntegrityError):
        check_in(author=author, people=guard)
    assert PeopleEventlog.objects.count() == 1


def test_check_out_closes_the_open_event(author, guard):
    opened = check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=8))
    closed = check_out(author=author, people=guard, lat=Decimal("1"), lng=Decimal("2"), remarks="Shift over")
    assert closed.pk == opened.pk
    closed.refresh_from_db()
    assert not closed.is_open
    assert (closed.endlat, closed.endlng, closed.remarks) == (Decimal("1"), Decimal("2"), "Shift over")


def test_person_can_check_in_again_after_checking_out(author, guard):
    check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=8))
    check_out(author=author, people=guard)
    check_in(author=author, people=guard)
    assert PeopleEventlog.objects.filter(people=guard).count() == 2
    assert PeopleEventlog.objects.filter(people=guard, punchouttime__isnull=True).count() == 1


def test_check_out_without_an_open_event_is_refused(author, guard):
    with pytest.raises(ValidationError) as caught:
        check_out(author=author, people=guard)
    assert "people" in caught.value.error_dict


def test_check_out_before_the_check_in_is_refused(author, guard):
    when = timezone.now()
    check_in(author=author, people=guard, when=when)
    with pytest.raises(ValidationError) as caught:
        check_out(author=author, people=guard, when=when - timedelta(minutes=1))
    assert "when" in caught.value.error_dict
    assert PeopleEventlog.objects.get().is_open


def test_database_refuses_a_check_out_before_the_check_in(author, guard):
    event = check_in(author=author, people=guard)
    event.punchouttime = event.punchintime - timedelta(seconds=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


@pytest.mark.parametrize(
    ("lat", "lng", "field"),
    [(Decimal("91"), Decimal("0"), "lat"), (Decimal("0"), Decimal("-181"), "lng"), (Decimal("10"), None, "lng")],
)
def test_check_in_refuses_impossible_coordinates(author, guard, lat, lng, field):
    with pytest.raises(ValidationError) as caught:
        check_in(author=author, people=guard, lat=lat, lng=lng)
    assert field in caught.value.error_dict
    assert not PeopleEventlog.objects.exists()


def test_check_in_of_a_person_without_a_site_uses_the_authors(author, site_bt):
    from apps.peoples.services import create_person

    visitor = create_person(author=None, username="visitor", peoplecode="V1", peoplename="Vic")
    assert check_in(author=author, people=visitor).site == site_bt
