"""The attendance REST API: list and read events; check in and out."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in
from apps.core.testing import RowCounts

pytestmark = pytest.mark.django_db


def test_check_in_and_out_through_the_api(api_client, guard):
    response = api_client.post(
        "/api/v1/attendance/check-in/", {"people": guard.pk, "lat": "12.971599", "lng": "77.594566"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["people"], body["punchouttime"], body["startlat"]) == (guard.pk, None, "12.971599")

    response = api_client.post("/api/v1/attendance/check-out/", {"people": guard.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == body["id"]
    assert response.json()["punchouttime"] is not None


def test_attendance_api_lists_and_retrieves_events(api_client, author, guard):
    event = check_in(author=author, people=guard)
    listed = api_client.get("/api/v1/attendance/").json()
    assert [e["id"] for e in listed["results"]] == [event.pk]
    assert api_client.get(f"/api/v1/attendance/{event.pk}/").json()["people"] == guard.pk


def test_second_check_in_answers_400_and_writes_nothing(api_client, author, guard):
    check_in(author=author, people=guard)
    counts = RowCounts(PeopleEventlog)
    response = api_client.post("/api/v1/attendance/check-in/", {"people": guard.pk}, format="json")
    assert response.status_code == 400
    assert "people" in response.json()["errors"]
    assert counts.changed() == {}


def test_raced_second_check_in_answers_409_and_writes_nothing(api_client, author, guard):
    check_in(author=author, people=guard)
    counts = RowCounts(PeopleEventlog)
    with mock.patch("apps.attendance.services._open_event", return_value=None):
        response = api_client.post("/api/v1/attendance/check-in/", {"people": guard.pk}, format="json")
    assert response.status_code == 409
    assert response.json() == {"people": ["Attendance event with this Person already exists."]}
    assert counts.changed() == {}


def test_check_out_without_check_in_answers_400(api_client, guard):
    response = api_client.post("/api/v1/attendance/check-out/", {"people": guard.pk}, format="json")
    assert response.status_code == 400
    assert "people" in response.json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "people"),
        ({"people": 99999}, "people"),
        ({"lat": "95", "lng": "0"}, "lat"),
        ({"lat": "10", "lng": "200"}, "lng"),
        ({"lat": "10"}, "lat"),
        ({"lat": "north", "lng": "1"}, "lat"),
    ],
)
@pytest.mark.parametrize("action", ["check-in", "check-out"])
def test_punch_answers_400_for_bad_input_and_writes_nothing(api_client, author, guard, action, payload, field):
    if action == "check-out":
        check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=1))
    data = {"people": guard.pk, **payload} if payload and "people" not in payload else payload
    before = list(PeopleEventlog.objects.values_list("pk", "punchouttime"))
    response = api_client.post(f"/api/v1/attendance/{action}/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert list(PeopleEventlog.objects.values_list("pk", "punchouttime")) == before


def test_attendance_events_cannot_be_written_directly(api_client, author, guard):
    event = check_in(author=author, people=guard)
    assert api_client.post("/api/v1/attendance/", {"people": guard.pk}, format="json").status_code == 405
    assert api_client.patch(f"/api/v1/attendance/{event.pk}/", {}, format="json").status_code == 405
    assert api_client.delete(f"/api/v1/attendance/{event.pk}/").status_code == 405


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/attendance/"),
        ("post", "/api/v1/attendance/check-in/"),
        ("post", "/api/v1/attendance/check-out/"),
    ],
)
def test_anonymous_attendance_calls_are_refused_and_write_nothing(guard, method, url):
    counts = RowCounts(PeopleEventlog)
    response = getattr(APIClient(), method)(url, {"people": guard.pk}, format="json")
    assert response.status_code in (401, 403)
    assert counts.changed() == {}
