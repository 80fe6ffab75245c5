"""Check-in and check-out take the person's lock: a held lock is 409 with Retry-After, an
unreachable lock service 503 with Retry-After, and neither writes anything."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in
from apps.core.services.distributed_locks import LockRegistry
from apps.core.testing import RowCounts

pytestmark = pytest.mark.django_db

CLOSED_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


@pytest.fixture(
    params=[
        "inprocess",
        pytest.param("redis", marks=pytest.mark.skipif(not django_settings.REDIS_URL, reason="REDIS_URL is not set")),
    ]
)
def held_person_lock(request, settings, guard):
    """The guard's ATTENDANCE_UPDATE lock, held by someone else; waiting for it ends quickly."""
    settings.DISTRIBUTED_LOCK_BACKEND = request.param
    settings.DISTRIBUTED_LOCK_TYPES = {"ATTENDANCE_UPDATE": (10, 0.2)}
    lock = LockRegistry.get_lock("ATTENDANCE_UPDATE", guard.pk).acquire()
    yield lock
    assert lock.release() is True


def _assert_locked_response(response):
    assert response.status_code == 409, response.content
    assert response.json()["error"] == "locked"
    assert int(response["Retry-After"]) >= 1


def test_check_in_while_the_person_is_locked_answers_409_and_writes_nothing(api_client, guard, held_person_lock):
    counts = RowCounts(PeopleEventlog)
    _assert_locked_response(api_client.post("/api/v1/attendance/check-in/", {"people": guard.pk}, format="json"))
    assert counts.changed() == {}


def test_check_out_while_the_person_is_locked_answers_409_and_leaves_the_event_open(
    api_client, author, guard, settings
):
    event = check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=1))
    settings.DISTRIBUTED_LOCK_TYPES = {"ATTENDANCE_UPDATE": (10, 0.2)}
    with LockRegistry.get_lock("ATTENDANCE_UPDATE", guard.pk):
        response = api_client.post("/api/v1/attendance/check-out/", {"people": guard.pk}, format="json")
    _assert_locked_response(response)
    assert PeopleEventlog.objects.get(pk=event.pk).is_open


def test_event_form_while_the_person_is_locked_answers_409_and_writes_nothing(web_client, guard, held_person_lock):
    counts = RowCounts(PeopleEventlog)
    response = web_client.post(reverse("attendance:event-create"), {"event_type": "CHECKIN", "people": guard.pk})
    _assert_locked_response(response)
    assert counts.changed() == {}


def test_locks_of_other_people_do_not_block_a_check_in(api_client, author, guard, held_person_lock):
    response = api_client.post("/api/v1/attendance/check-in/", {"people": author.pk}, format="json")
    assert response.status_code == 201, response.content


@override_settings(DISTRIBUTED_LOCK_BACKEND="redis", CACHES=CLOSED_REDIS)
def test_check_in_with_the_lock_service_unreachable_answers_503_and_writes_nothing(api_client, guard):
    counts = RowCounts(PeopleEventlog)
    response = api_client.post("/api/v1/attendance/check-in/", {"people": guard.pk}, format="json")
    assert response.status_code == 503, response.content
    assert int(response["Retry-After"]) >= 1
    assert "unreachable" in response.json()["detail"]
    assert counts.changed() == {}


@override_settings(DISTRIBUTED_LOCK_BACKEND="redis", CACHES=CLOSED_REDIS)
def test_event_form_with_the_lock_service_unreachable_answers_503_and_writes_nothing(web_client, guard):
    counts = RowCounts(PeopleEventlog)
    response = web_client.post(reverse("attendance:event-create"), {"event_type": "CHECKIN", "people": guard.pk})
    assert response.status_code == 503, response.content
    assert int(response["Retry-After"]) >= 1
    assert counts.changed() == {}
