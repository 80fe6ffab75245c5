"""The check-in/check-out form view."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in
from apps.core.testing import RowCounts

pytestmark = pytest.mark.django_db

URL = "attendance:event-create"


def test_event_form_renders(web_client):
    response = web_client.get(reverse(URL))
    assert response.status_code == 200
    assert b"event_type" in response.content


def test_event_form_checks_in_then_out(web_client, guard):
    response = web_client.post(
        reverse(URL), {"event_type": "CHECKIN", "people": guard.pk, "lat": "12.5", "lng": "77.5", "remarks": "Gate 2"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["open"] is True
    event = PeopleEventlog.objects.get(pk=response.json()["pk"])
    assert (event.remarks, str(event.startlat)) == ("Gate 2", "12.500000")

    response = web_client.post(reverse(URL), {"event_type": "CHECKOUT", "people": guard.pk})
    assert response.status_code == 200, response.content
    assert response.json() == {"pk": event.pk, "uuid": str(event.uuid), "open": False}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"event_type": "NAP"}, "event_type"),
        ({"people": ""}, "people"),
        ({"lat": "100", "lng": "0"}, "lat"),
        ({"lng": "5"}, "lat"),
    ],
)
def test_event_form_answers_400_with_field_errors_and_writes_nothing(web_client, guard, payload, field):
    counts = RowCounts(PeopleEventlog)
    response = web_client.post(reverse(URL), {"event_type": "CHECKIN", "people": guard.pk, **payload})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert counts.changed() == {}


def test_event_form_refuses_a_second_check_in_with_400(web_client, author, guard):
    check_in(author=author, people=guard)
    counts = RowCounts(PeopleEventlog)
    response = web_client.post(reverse(URL), {"event_type": "CHECKIN", "people": guard.pk})
    assert response.status_code == 400
    assert "people" in response.json()["errors"]
    assert counts.changed() == {}


def test_event_form_refuses_a_check_out_without_check_in_with_400(web_client, guard):
    response = web_client.post(reverse(URL), {"event_type": "CHECKOUT", "people": guard.pk})
    assert response.status_code == 400
    assert "people" in response.json()["errors"]


def test_event_form_check_out_leaves_other_events_alone(web_client, author, guard):
    old = check_in(author=author, people=author, when=timezone.now() - timedelta(hours=2))
    check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=1))
    assert web_client.post(reverse(URL), {"event_type": "CHECKOUT", "people": guard.pk}).status_code == 200
    assert PeopleEventlog.objects.get(pk=old.pk).is_open


def test_anonymous_event_form_post_is_sent_to_login_and_writes_nothing(client, guard):
    counts = RowCounts(PeopleEventlog)
    response = client.post(reverse(URL), {"event_type": "CHECKIN", "people": guard.pk})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert counts.changed() == {}
