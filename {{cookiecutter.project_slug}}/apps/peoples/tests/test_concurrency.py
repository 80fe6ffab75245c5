"""People created at the same moment by real threads on PostgreSQL each get exactly one profile
and one organizational record; a duplicate that loses the race leaves nothing behind."""

from django.db import IntegrityError

from apps.peoples.models import People, PeopleOrganizational, PeopleProfile
from apps.peoples.services import create_person

from .concurrency import concurrent_db, needs_postgres_and_redis, run_concurrently

pytestmark = [needs_postgres_and_redis, concurrent_db]


def _creation(number, client_bt, site_bt, code=None):
    return lambda: create_person(
        author=None,
        username=f"worker{number}",
        peoplecode=code or f"W{number:02d}",
        peoplename=f"Worker {number}",
        gender="F",
        location=f"Gate {number}",
        client=client_bt,
        site=site_bt,
    )


def test_ten_concurrent_person_creations_each_get_one_profile_and_one_organizational_record(client_bt, site_bt):
    outcomes = run_concurrently(*[_creation(number, client_bt, site_bt) for number in range(10)])

    assert [outcome.error for outcome in outcomes] == [None] * 10
    people = People.objects.filter(username__startswith="worker")
    assert people.count() == 10
    for person in people:
        assert PeopleProfile.objects.filter(people=person).count() == 1
        assert PeopleOrganizational.objects.filter(people=person).count() == 1
        number = int(person.username.removeprefix("worker"))
        assert person.profile.gender == "F"
        assert person.organizational.location == f"Gate {number}"
    assert PeopleProfile.objects.count() == People.objects.count()
    assert PeopleOrganizational.objects.count() == People.objects.count()


def test_concurrent_creations_of_one_code_leave_one_complete_person_and_no_orphans(client_bt, site_bt):
    outcomes = run_concurrently(*[_creation(number, client_bt, site_bt, code="SAME") for number in range(5)])

    assert sum(outcome.ok for outcome in outcomes) == 1
    assert all(isinstance(outcome.error, IntegrityError) for outcome in outcomes if not outcome.ok)
    assert People.objects.filter(peoplecode="SAME").count() == 1
    assert PeopleProfile.objects.count() == People.objects.count()
    assert PeopleOrganizational.objects.count() == People.objects.count()
