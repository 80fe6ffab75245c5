"""One person checked in and out by real threads at once, on PostgreSQL with Redis locks.

The person's ATTENDANCE_UPDATE lock lets one check-in through at a time, so every other one is
refused with a clear message instead of reaching the database's last line of defence (the
partial unique constraint on open events).
"""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.attendance import services
from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in, check_out
from apps.peoples.tests.concurrency import concurrent_db, needs_postgres_and_redis, run_concurrently

pytestmark = [needs_postgres_and_redis, concurrent_db]


@pytest.fixture(autouse=True)
def _redis_locks(settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"


@pytest.fixture
def slowed():
    """Pause between the open-event test and the insert, the window two check-ins race through."""
    real = services.save_userinfo

    def slow_save_userinfo(*args, **kwargs):
        time.sleep(0.1)
        return real(*args, **kwargs)

    with mock.patch.object(services, "save_userinfo", side_effect=slow_save_userinfo):
        yield


def test_concurrent_check_ins_of_one_person_open_exactly_one_event(author, guard, slowed):
    outcomes = run_concurrently(*[lambda: check_in(author=author, people=guard) for _ in range(5)])

    assert sum(outcome.ok for outcome in outcomes) == 1, [outcome.error for outcome in outcomes]
    refusals = [outcome.error for outcome in outcomes if not outcome.ok]
    assert all(isinstance(error, ValidationError) and "already checked in" in str(error) for error in refusals), (
        refusals
    )
    assert PeopleEventlog.objects.filter(people=guard, punchouttime__isnull=True).count() == 1
    assert PeopleEventlog.objects.filter(people=guard).count() == 1


def test_concurrent_check_outs_of_one_person_close_the_event_once(author, guard, slowed):
    event = check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=8))
    outcomes = run_concurrently(*[lambda: check_out(author=author, people=guard) for _ in range(5)])

    assert sum(outcome.ok for outcome in outcomes) == 1, [outcome.error for outcome in outcomes]
    refusals = [outcome.error for outcome in outcomes if not outcome.ok]
    assert all(isinstance(error, ValidationError) and "not checked in" in str(error) for error in refusals), refusals
    closed = PeopleEventlog.objects.get(pk=event.pk)
    assert not closed.is_open
    assert closed.punchouttime == next(outcome.value.punchouttime for outcome in outcomes if outcome.ok)
